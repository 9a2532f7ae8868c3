import { expect, test } from "@playwright/test";
import { nodeCode, signIn, signOut } from "./session";

test("a bank asks a citizen for her social-insurance record, she approves from the link, the bank opens the envelope, she sees the use", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, "bank@quancheng.example");
  await page.goto("/buyer/consents");
  await page.getByRole("button", { name: "Generate an envelope key" }).click();
  await expect(page.getByTestId("envelope-key")).toContainText("its private half stays in this browser");
  await page.getByLabel("Person's identifier").fill("QC-SUBJ-0001");
  await page.getByRole("combobox", { name: /^Resource/ }).selectOption({ label: "Pension and medical insurance contributions · Jinan Social Insurance Center" });
  await page.getByLabel("Purpose").fill("mortgage underwriting");
  await page.getByRole("button", { name: "Send the request" }).click();
  const row = page.getByTestId("consent-requests").locator("tr", { hasText: "QC-SUBJ-0001" }).first();
  await expect(row).toContainText("waiting for the person");
  await expect(row.locator("svg")).toBeVisible(); // the QR code a phone would scan
  const link = await row.getByRole("link", { name: "Approval link" }).getAttribute("href");
  await signOut(page);

  // Zhang Wei opens the link (or scans the QR code). First she links her own key (made in this
  // browser, never readable) at each holder with the activation code that holder gave her.
  await signIn(page, "zhang.wei@quancheng.example");
  await page.goto(link!);
  for (const [holder, name] of [["jinan-social-security", "Jinan Social Insurance Center"], ["jinan-housing-fund", "Jinan Housing Provident Fund Center"]] as const) {
    const linkRow = page.getByTestId("linked-holders").locator("li", { hasText: name });
    await linkRow.getByLabel("Activation code").fill(await nodeCode(holder, "activation", "QC-SUBJ-0001"));
    await linkRow.getByRole("button", { name: "Link my key" }).click();
    await expect(page.getByTestId("linked-holders").locator("li", { hasText: name })).toContainText("linked (this browser)");
  }
  // Then she approves once: her key signs the consent, naming the bank's envelope key she is shown.
  const ask = page.getByTestId("safe-box").locator("tr", { hasText: "Quancheng Commercial Bank" }).first();
  await expect(ask).toContainText("mortgage underwriting");
  await expect(ask.getByTestId("envelope-key")).toContainText("Will be sealed to the buyer's key");
  await ask.getByRole("button", { name: "Approve (once)" }).click();
  await expect(page.getByTestId("safe-box").locator("tr", { hasText: "Quancheng Commercial Bank" }).first()).toContainText("approved");
  await signOut(page);

  // The bank fetches the envelope through the holder's node and opens it in its browser.
  await signIn(page, "bank@quancheng.example");
  await page.goto("/buyer/consents");
  await page.getByTestId("consent-requests").locator("tr", { hasText: "QC-SUBJ-0001" }).first().getByRole("button", { name: "Fetch and open the envelope" }).click();
  const fields = page.getByTestId("envelope-fields");
  await expect(fields).toContainText("contribution_base");
  await expect(fields).toContainText("months_paid");
  await expect(page.getByTestId("consent-requests").locator("tr", { hasText: "QC-SUBJ-0001" }).first()).toContainText("used");
  await signOut(page);

  // Her safe box shows the use, with the envelope's hash that is on the ledger.
  await signIn(page, "zhang.wei@quancheng.example");
  await page.goto("/subject");
  await page.getByRole("button", { name: "Ask the holders (signed by my key)" }).click();
  await expect(page.getByTestId("records")).toContainText("Pension and medical insurance contributions");
  await expect(page.getByTestId("records")).toContainText("Housing provident fund deposits");
  await expect(page.getByTestId("deliveries")).toContainText("Quancheng Commercial Bank");
  await expect(page.getByTestId("deliveries").locator("[data-status=verified]")).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId("safe-box")).toContainText("used");
});
