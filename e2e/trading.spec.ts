import { expect, test } from "@playwright/test";
import { signIn, signOut } from "./session";

test("a holder registers a resource, gets a certificate, and buyers find it in the catalog", async ({ page, browser }) => {
  await page.goto("/signin");
  await page.getByLabel("Email").fill("housing@quancheng.example");
  await page.getByLabel("Password").fill("quancheng-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/holder$/);
  await page.getByRole("link", { name: "Manage registered resources" }).click();
  const form = page.getByTestId("register-resource");
  await form.getByLabel("Name", { exact: true }).fill("Loan repayment records");
  await form.getByLabel("Description").fill("Provident-fund loan repayments per borrower and month.");
  await form.getByLabel("Domain").fill("housing");
  await form.getByLabel("field name 1").fill("repayment");
  await form.getByLabel("type 1").selectOption("number");
  await form.getByLabel("unit 1").fill("CNY");
  await form.getByLabel("sensitivity 1").selectOption("PERSONAL");
  await form.getByRole("button", { name: "Add a field" }).click();
  await form.getByLabel("field name 2").fill("month");
  await form.getByRole("button", { name: "Register a resource" }).click();
  await expect(page.getByRole("status")).toContainText(/Registered\. Certificate QCR-\d{4}-[0-9A-F]{8}/);
  await expect(page.getByTestId("resources")).toContainText("Loan repayment records");

  // The form is empty again (a second click registers nothing twice); the same name again is refused with a clear message.
  await expect(form.getByLabel("Name", { exact: true })).toHaveValue("");
  await form.getByLabel("Name", { exact: true }).fill("Loan repayment records");
  await form.getByLabel("Domain").fill("housing");
  await form.getByLabel("field name 1").fill("repayment");
  await form.getByRole("button", { name: "Register a resource" }).click();
  await expect(form.locator(".error[role=alert]")).toContainText('already registered a resource named "Loan repayment records"');

  // A new version: the description changes, the version goes to 2.
  const row = page.getByTestId("resources").locator("tr", { hasText: "Loan repayment records" });
  await row.getByText("Edit (new version)").click();
  await row.getByLabel("Description").fill("Provident-fund loan repayments per borrower and month, including early repayments.");
  await row.getByRole("button", { name: "Save as a new version" }).click();
  await expect(row.getByRole("status")).toHaveText("Saved as version 2.");
  await expect(page.getByTestId("resources").locator("tr", { hasText: "Loan repayment records" }).locator("td").nth(3)).toHaveText("v2");

  // An emergency reclassification: temporary, with a reason kept on record.
  await row.getByText("Emergency reclassification").click();
  await row.getByLabel("Share as").selectOption("NOT_SHARED");
  await row.getByLabel("Reason (kept on record)").fill("Suspected leak at a downstream buyer under investigation.");
  await row.getByLabel("Until").fill(new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 16));
  await row.getByRole("button", { name: "Reclassify until then" }).click();
  await expect(row.getByRole("status").filter({ hasText: "Reclassified until" })).toBeVisible();
  await expect(page.getByTestId("resources").locator("tr", { hasText: "Loan repayment records" })).toContainText("Suspected leak");

  const buyer = await browser.newPage({ locale: "en-GB" });
  await buyer.goto("/signin");
  await buyer.getByLabel("Email").fill("bank@quancheng.example");
  await buyer.getByLabel("Password").fill("quancheng-demo-2026");
  await buyer.getByRole("button", { name: "Sign in" }).click();
  await buyer.waitForURL(/\/buyer$/);
  await buyer.goto("/catalog?q=loan+repayments");
  await expect(buyer.getByRole("heading", { name: "Loan repayment records" })).toBeVisible();
  await buyer.close();
});

test("a bank posts a demand, the matched holder answers, and the demand is confirmed", async ({ page }) => {
  await signIn(page, "bank@quancheng.example");
  await page.goto("/demands");
  await page.getByLabel("What you need").fill("公积金缴存 history for mortgages");
  await page.getByLabel("Description").fill("Housing provident fund deposit history of mortgage applicants, with their consent.");
  await page.getByLabel("Purpose").fill("mortgage underwriting");
  await page.getByLabel("Deadline").fill("2027-03-31");
  await page.getByRole("button", { name: "Post a demand" }).click();
  await expect(page.getByRole("status")).toContainText(/Posted: \d+ matching entries, [1-9]\d* owners notified/);
  await signOut(page);

  await signIn(page, "housing@quancheng.example");
  await page.goto("/demands");
  const demand = page.getByTestId("matched-demand").filter({ hasText: "公积金缴存 history for mortgages" });
  await demand.getByLabel("Your answer (what you can provide, how)").fill("We provide it in a digital envelope with each applicant's consent.");
  await demand.getByRole("button", { name: "Answer" }).click();
  await expect(demand.getByRole("button", { name: "Answered" })).toBeVisible();
  await signOut(page);

  await signIn(page, "bank@quancheng.example");
  await page.goto("/demands");
  const mine = page.getByTestId("my-demands").locator("tr", { hasText: "公积金缴存 history for mortgages" });
  await expect(mine.locator("td").nth(2)).not.toHaveText("—");

  // The bank found what it needed and closes the demand; the holder is told.
  await mine.getByLabel("Note to those who answered (optional)").fill("Going ahead with the housing fund.");
  await mine.getByRole("button", { name: "Close" }).click();
  await expect(page.getByTestId("my-demands").locator("tr", { hasText: "公积金缴存 history for mortgages" })).toContainText("Closed");
});

test("a buyer cancels an order only after confirming, and is told it is cancelled", async ({ page }) => {
  await signIn(page, "bank@quancheng.example");
  await page.goto("/buyer/orders");
  await page.getByLabel("Product", { exact: true }).selectOption({ label: "Hospital claims by district and age band" });
  await page.getByLabel("Queries to buy").fill("3");
  await page.getByRole("button", { name: "Order a product" }).click();
  await expect(page.getByRole("status")).toContainText("waiting for the holders' approval");
  const order = page.getByTestId("orders").locator("tr", { hasText: "Hospital claims by district and age band" }).first();
  await expect(order.getByTestId("waiting-for")).toContainText("Jinan Central Hospital");
  await order.getByRole("button", { name: "Cancel" }).click();
  await expect(order).toContainText("Cancel the order for “Hospital claims by district and age band”?");
  await order.getByRole("button", { name: "Back" }).click();
  await expect(order).toContainText("waiting for the holders' approval");
  await order.getByRole("button", { name: "Cancel" }).click();
  await order.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByTestId("receipt")).toHaveText("Order cancelled.");
  await expect(page.getByTestId("orders").locator("tr", { hasText: "Hospital claims by district and age band" }).first()).toContainText("cancelled");
});
