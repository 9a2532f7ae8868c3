import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { signIn, signOut } from "./session";

const run = promisify(execFile);

test("the supervisor audits a delivered query, the nodes prove it, and the proofs verify in the browser and the CLI", async ({ page }, info) => {
  // A query, three nodes proving a sample of their chunks one after another, then verification.
  test.setTimeout(600_000);

  // 1. The insurer asks a provable query: one category dimension, a sum (docs/proofs.md).
  await signIn(page, "insurer@quancheng.example");
  await page.goto("/buyer/query");
  await page.getByLabel("Key passphrase").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Generate a key pair" }).click();
  await expect(page.getByTestId("key-ready")).toBeVisible({ timeout: 60_000 });
  await page.getByRole("checkbox", { name: "age", exact: true }).uncheck();
  await page.getByRole("checkbox", { name: "SUM", exact: true }).check();
  await page.getByRole("checkbox", { name: "AVG", exact: true }).uncheck();
  await page.getByRole("button", { name: "Run encrypted query" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("done", { timeout: 120_000 });
  await expect(page.getByTestId("results").locator("thead")).toContainText("SUM(claim_amount)", { timeout: 30_000 });
  // The buyer may audit its delivered query from here too.
  const mine = page.getByTestId("query-audits");
  await expect(mine.getByRole("button", { name: "Audit this query" })).toBeVisible();
  await expect(mine).toContainText("No audit yet.");
  await signOut(page);

  // 2. The supervisor audits it (the newest delivered query), proving 0.1% of each node's chunks.
  await signIn(page, "supervisor@quancheng.example");
  await page.goto("/supervisor");
  const section = page.getByTestId("audits");
  const query = section.getByTestId("auditable-queries").locator("tbody tr").first();
  await expect(query).toContainText("Hospital claims by district and age band");
  const queryId = (await query.getAttribute("data-query"))!;
  await query.getByLabel("Sample (% of chunks)").fill("0.1");
  await query.getByRole("button", { name: "Audit", exact: true }).click();
  await expect(query.getByRole("status")).toHaveText("Audits started: 3, one per node.");

  const audits = section.getByTestId("audit-list").locator("tr[data-status]", { has: page.locator(`code[title="${queryId}"]`) });
  await expect(audits).toHaveCount(3);
  await expect(audits.filter({ hasText: "0.1%" })).toHaveCount(3);
  // Proving takes seconds per chunk; the list polls while any audit runs.
  await expect(section.getByTestId("audit-list").locator("tr[data-status=RUNNING]")).toHaveCount(0, { timeout: 480_000 });
  await expect(audits.getByTestId("audit-verdict")).toHaveText(["✔ passed", "✔ passed", "✔ passed"]);
  await expect(audits.first()).toContainText(/[1-9]\d* \/ \d+/); // chunks proven / total

  // 3. Its proofs: the marketplace's checks, then the same checks in this browser.
  await audits.first().getByRole("button", { name: "Proofs" }).click();
  const proofs = section.getByTestId("audit-proofs");
  await expect(proofs.getByTestId("server-checks").locator("li").first()).toBeVisible();
  await expect(proofs.getByTestId("server-checks").locator("li[data-ok=false]")).toHaveCount(0);
  await proofs.getByRole("button", { name: "Verify in browser" }).click();
  await expect(proofs.getByTestId("browser-verdict")).toContainText("Verified in this browser", { timeout: 120_000 });
  const checks = proofs.getByTestId("browser-checks");
  await expect(checks).toContainText("verification keys match the committed ones");
  await expect(checks).toContainText("release");
  await expect(checks.locator("li[data-ok=false]")).toHaveCount(0);

  // 4. The download verifies offline with the keys committed in the repository.
  const download = page.waitForEvent("download");
  await proofs.getByRole("button", { name: "Download proofs" }).click();
  const file = info.outputPath("audit.json");
  await (await download).saveAs(file);
  const cli = await run(path.resolve("node_modules/.bin/tsx"), ["sdk/zk-cli.ts", "verify", file], { timeout: 120_000 });
  expect(cli.stdout).toContain("Verified:");

  // Nothing about it is flagged.
  await section.getByLabel("Flagged only").check();
  await expect(audits).toHaveCount(0);
  await signOut(page);

  // 5. A hospital sees its resource's commitment and commits its data anew.
  await signIn(page, "licheng-hospital@quancheng.example");
  await page.goto("/holder/resources");
  const resource = page.getByTestId("resources").locator("tr", { hasText: "Claim records" });
  await expect(resource.getByTestId("commitment").locator("code")).toBeVisible();
  await resource.getByRole("button", { name: "Commit anew" }).click();
  await expect(resource.getByRole("status")).toContainText(/rows in chunks of \d+/, { timeout: 120_000 });
});
