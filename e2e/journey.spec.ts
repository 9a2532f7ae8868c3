import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { nodeCode, signIn, signOut } from "./session";

test("register → build → approve → find → order → holder approves → encrypted query", async ({ page }) => {
  test.setTimeout(240_000);

  // 1. The hospital registers a resource served by its own computation node.
  await signIn(page, "central-hospital@quancheng.example");
  await page.goto("/holder/resources");
  const form = page.getByTestId("register-resource");
  await form.getByLabel("Name", { exact: true }).fill("Emergency department claims");
  await form.getByLabel("Domain").fill("health");
  const fields: [string, string][] = [["district", "string"], ["age", "integer"], ["sex", "string"], ["diagnosis", "string"], ["claim_amount", "number"]];
  for (const [i, [name, type]] of fields.entries()) {
    if (i > 0) await form.getByRole("button", { name: "Add a field" }).click();
    await form.getByLabel(`field name ${i + 1}`).fill(name);
    await form.getByLabel(`type ${i + 1}`).selectOption(type);
  }
  await form.locator("select[name=node]").selectOption({ label: "central-hospital-node" });
  await form.getByLabel("Dataset on the node").fill("claims");
  await form.getByRole("button", { name: "Register a resource" }).click();
  await expect(page.getByRole("status")).toContainText("Certificate QCR-");
  await signOut(page);

  // 2. The studio builds a product on it with the guided builder, field by field, and submits it.
  await signIn(page, "developer@quancheng.example");
  const build = page.getByTestId("build-product");
  await build.getByLabel("Name", { exact: true }).fill("Emergency claims by district");
  // The address follows the English name.
  await expect(build.getByLabel("Address", { exact: true })).toHaveValue("emergency-claims-by-district");
  await build.getByLabel("Emergency department claims").check();
  const field = (name: string) => build.getByTestId(`field-${name}`);
  const category = async (name: string, values: string) => {
    await field(name).getByLabel("Dimension", { exact: true }).check();
    await field(name).getByLabel("Values").fill(values);
  };
  // Values may be separated by commas (of either script), 、 or new lines.
  await category("district", "历下区、市中区、槐荫区、天桥区、历城区、长清区、章丘区、济阳区、莱芜区、钢城区");
  await expect(field("district")).toContainText("10 values");
  await field("age").getByLabel("Dimension", { exact: true }).check();
  await field("age").getByLabel("Bucket edges").fill("0, 18, 30, 45, 60, 75, 120");
  await expect(field("age")).toContainText("6 buckets");
  await category("sex", "F, M");
  // The hospitals' nodes let buyers filter sex by "equals" only.
  await field("sex").getByLabel("one of").uncheck();
  await category("diagnosis", "circulatory\nrespiratory\ndigestive\nmusculoskeletal\ninjury\nneoplasm\nmaternity\nother");
  const amount = field("claim_amount");
  await amount.getByLabel("Measure", { exact: true }).check();
  await amount.getByLabel("Lowest value").fill("0");
  await amount.getByLabel("Highest value").fill("20000");
  await expect(amount.getByLabel("Decimals kept")).toHaveValue("2");
  for (const aggregate of ["COUNT", "SUM", "AVG"]) await expect(amount.getByLabel(aggregate)).toBeChecked();
  const rules = build.getByTestId("policy-product");
  await rules.getByLabel("Minimum cohort").fill("10");
  await rules.getByLabel("Differential privacy").check();
  await rules.getByLabel("ε per query").fill("2");
  await rules.getByLabel("ε per buyer").fill("10");
  // A patient is the privacy unit: the hospitals' nodes count up to 3 claims per patient.
  await rules.getByLabel("Rows one person may contribute").fill("3");
  await expect(build.getByTestId("policy-valid")).toBeVisible();
  await build.getByText("Policy as JSON (for experts)").click();
  await expect(build.getByTestId("policy-json")).toContainText('"maxRowsPerPerson": 3');
  await build.getByRole("button", { name: "Create draft" }).click();
  await expect(build.getByRole("status")).toContainText("Draft “Emergency claims by district” created.");
  // The form is cleared for the next product.
  await expect(build.getByLabel("Name", { exact: true })).toHaveValue("");
  await expect(build.getByLabel("Address", { exact: true })).toHaveValue("");
  await expect(build.getByLabel("Emergency department claims")).not.toBeChecked();
  const row = page.getByTestId("products").locator("tr", { hasText: "Emergency claims by district" });
  await expect(row).toContainText("draft");
  await row.getByLabel("Price per query (¥)").fill("150");
  await row.getByLabel("Licence terms").fill("Aggregates for pricing only; no re-identification; no resale.");
  await row.getByLabel("Allowed purposes (comma-separated)").fill("insurance pricing");
  await row.getByRole("button", { name: "Save terms" }).click();
  await expect(row.getByRole("status")).toHaveText("Terms saved.");
  await row.getByRole("button", { name: "Submit for review" }).click();
  await expect(page.getByTestId("products").locator("tr", { hasText: "Emergency claims by district" })).toContainText("in review");
  await signOut(page);

  // 3. The market operator approves it.
  await signIn(page, "operator@quancheng.example");
  // It decides seeing what the listing rests on: developer, holders, price, shares, fields, licence, purposes.
  const item = page.getByTestId("review-item").filter({ hasText: "Emergency claims by district" });
  await expect(item.getByTestId("product-holders")).toHaveText("Jinan Central Hospital");
  await expect(item).toContainText("Baotu Data Product Studio");
  await expect(item).toContainText("¥150.00");
  await expect(item).toContainText("claim_amount");
  await expect(item).toContainText("insurance pricing");
  await item.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByTestId("review-item").filter({ hasText: "Emergency claims by district" })).toHaveCount(0);
  await signOut(page);

  // 4. The bank finds it in the catalog and orders it; the hospital must approve.
  await signIn(page, "bank@quancheng.example");
  await page.goto("/catalog?q=emergency+claims");
  const hit = page.getByTestId("catalog-item").filter({ hasText: "Emergency claims by district" });
  await expect(hit.getByTestId("catalog-owner")).toHaveText("Developed by Baotu Data Product Studio");
  // "Order this product" opens the order form on this product.
  await hit.getByRole("link", { name: "Emergency claims by district" }).click();
  await page.getByRole("link", { name: "Order a product" }).click();
  await expect(page.getByLabel("Product", { exact: true }).locator("option:checked")).toHaveText("Emergency claims by district");
  await page.getByRole("button", { name: "Order a product" }).click();
  await expect(page.getByRole("status")).toContainText("waiting for the holders' approval");
  // The bank sees whose approval it waits for.
  await expect(page.getByTestId("orders").locator("tr", { hasText: "Emergency claims by district" }).getByTestId("waiting-for")).toHaveText("Waiting for: Jinan Central Hospital");
  await signOut(page);

  // The hospital decides seeing who asks, for what, how much, and which of its fields are read.
  await signIn(page, "central-hospital@quancheng.example");
  const request = page.getByTestId("approval").filter({ hasText: "Emergency claims by district" }).first();
  await expect(request.getByTestId("approval-buyer")).toHaveText("Quancheng Commercial Bank");
  await expect(request).toContainText("insurance pricing");
  await expect(request).toContainText("10 queries");
  await expect(request).toContainText("¥1,500.00");
  await expect(request.getByTestId("approval-fields")).toContainText("claim_amount");
  await expect(request).toContainText("Emergency department claims");
  await request.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("No request waits for your approval.")).toBeVisible();
  // The hospital also approves the product at its own node (which otherwise answers nothing for it):
  // it enrols this browser's key with the code its node printed, then signs the policy change.
  const policies = page.getByTestId("node-policies");
  await expect(policies).toContainText("signed by the node");
  await policies.getByLabel("Enrolment code printed by your node").fill(await nodeCode("jinan-central-hospital", "enrolment"));
  await policies.getByRole("button", { name: "Enrol this browser at the node" }).click();
  await expect(policies.getByTestId("enrolled")).toBeVisible();
  const product = policies.locator("tr", { hasText: "Emergency claims by district" });
  await expect(product).toContainText("awaiting your approval");
  await product.getByRole("button", { name: "Approve at my node" }).click();
  await expect(policies.locator("tr", { hasText: "Emergency claims by district" })).toContainText("approved at the node");
  await expect(policies.locator("tr", { hasText: "Emergency claims by district" })).not.toContainText("awaiting");
  // It tightens its own policy from the console: signed here, applied by the node, shown as the node signed it.
  await policies.getByText("Edit the policy (signed here, applied by the node)").click();
  const editor = policies.getByLabel("Edit the policy (signed here, applied by the node) claims");
  await editor.fill((await editor.inputValue()).replace('"minCohort": 10', '"minCohort": 11'));
  await policies.getByRole("button", { name: "Sign and apply at the node" }).click();
  await expect(policies).toContainText("k ≥ 11");
  await signOut(page);

  // 5. The bank runs an encrypted query on it and decrypts the result in the browser.
  await signIn(page, "bank@quancheng.example");
  await page.goto("/buyer/orders");
  // Approved, so the bank pays (offline provider: at once) for the 10 queries it ordered.
  const ordered = page.getByTestId("orders").locator("tr", { hasText: "Emergency claims by district" });
  await expect(ordered).toContainText("approved: waiting for payment");
  await expect(ordered).toContainText("not paid");
  // Paying asks once more, in words, then gives a receipt.
  await ordered.getByRole("button", { name: "Pay ¥1,500.00" }).click();
  await expect(ordered).toContainText("Pay ¥1,500.00 for “Emergency claims by district” now?");
  await ordered.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByTestId("receipt")).toContainText("Payment received: ¥1,500.00");
  await expect(page.getByTestId("orders").locator("tr", { hasText: "Emergency claims by district" })).toContainText("active");
  const [invoice] = await Promise.all([page.waitForEvent("download"), page.getByTestId("orders").locator("tr", { hasText: "Emergency claims by district" }).getByRole("link", { name: "Invoice (PDF)" }).click()]);
  const pdf = new Uint8Array(await readFile(await invoice.path()));
  expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe("%PDF-");
  // Bilingual, with the Chinese text extractable (an embedded CJK font with its Unicode map).
  const { getDocument } = await import("pdfjs-dist/legacy/build/pdf.mjs");
  const doc = await getDocument({ data: pdf, verbosity: 0, isEvalSupported: false }).promise;
  const text = (await (await doc.getPage(1)).getTextContent()).items.map((i) => ("str" in i ? i.str : "")).join(" ");
  await doc.destroy();
  expect(text).toContain("账单");
  expect(text).toContain("合计");
  expect(text).toContain("¥1,500.00");
  await page.goto("/buyer/query");
  await page.getByLabel("Product").selectOption({ label: "Emergency claims by district" });
  await page.getByLabel("Key passphrase").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Generate a key pair" }).click();
  await expect(page.getByTestId("key-ready")).toBeVisible({ timeout: 60_000 });
  await page.getByRole("button", { name: "Run encrypted query" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("done", { timeout: 90_000 });
  await expect(page.getByTestId("results").locator("tbody tr")).toHaveCount(60);
  await signOut(page);

  // The hospital's share of that query (its rows in the released groups) is on its home.
  await signIn(page, "central-hospital@quancheng.example");
  await expect(page.getByTestId("earned")).not.toHaveText("¥0.00");
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "CSV" }).click()]);
  // Other specs' queries may have delivered to this hospital too: find this one's line.
  const statement = await readFile(await csv.path(), "utf8");
  expect(statement).toMatch(/^date,kind,account,amount,currency,order,query\n/);
  expect(statement).toMatch(/^.*,delivery,holder_payable,-97\.50,CNY,/m);

  await signOut(page);

  // 6. The studio pauses its product (it leaves the catalog) and resumes it.
  await signIn(page, "developer@quancheng.example");
  const listed = page.getByTestId("products").locator("tr", { hasText: "Emergency claims by district" });
  await listed.getByRole("button", { name: "Pause" }).click();
  await expect(listed).toContainText("paused");
  await listed.getByRole("button", { name: "Resume" }).click();
  await expect(listed).toContainText("listed");
  await signOut(page);

  // 7. The operator pauses it with a reason, which the developer sees.
  await signIn(page, "operator@quancheng.example");
  const onSale = page.getByTestId("listed-products").locator("tr", { hasText: "Emergency claims by district" });
  await onSale.getByLabel("Reason (kept, shown to the developer)").fill("Licence terms under legal review.");
  await onSale.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByTestId("listed-products").locator("tr", { hasText: "Emergency claims by district" })).toHaveCount(0);
  await signOut(page);
  await signIn(page, "developer@quancheng.example");
  await expect(page.getByTestId("products").locator("tr", { hasText: "Emergency claims by district" })).toContainText("Licence terms under legal review.");
});
