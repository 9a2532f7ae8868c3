import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { nodeCode, signIn, signOut } from "./session";

test("a bank asks a citizen for her social-insurance record, she approves from the link, the bank opens the envelope, she sees the use", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, "bank@quancheng.example");
  await page.goto("/buyer/consents");
  await page.getByRole("button", { name: "Generate an envelope key" }).click();
  await expect(page.getByTestId("envelope-key")).toContainText("its private half stays in this browser");
  // The private key is kept like a key: nothing in localStorage, a non-extractable CryptoKey in IndexedDB.
  const kept = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => { const r = indexedDB.open("qc-market-keys", 1); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    const names = await new Promise<string[]>((res) => { const r = db.transaction("keys").objectStore("keys").getAllKeys(); r.onsuccess = () => res(r.result as string[]); });
    const envelope = names.find((n) => n.startsWith("envelope-key:"))!;
    const rec = await new Promise<{ pair: CryptoKeyPair }>((res) => { const r = db.transaction("keys").objectStore("keys").get(envelope); r.onsuccess = () => res(r.result); });
    db.close();
    const local = Object.keys(localStorage).map((k) => `${k}=${localStorage.getItem(k)}`).join("\n");
    return { privateExtractable: rec.pair.privateKey.extractable, privateType: rec.pair.privateKey.type, local };
  });
  expect(kept).toMatchObject({ privateExtractable: false, privateType: "private" });
  expect(kept.local).not.toMatch(/privateJwk|"d":|secret/i);
  await page.getByLabel("Person's identifier").fill("QC-SUBJ-0001");
  await page.getByRole("combobox", { name: /^Resource/ }).selectOption({ label: "Pension and medical insurance contributions · Jinan Social Insurance Center" });
  await page.getByLabel("Purpose").fill("mortgage underwriting");
  await page.getByRole("button", { name: "Send the request" }).click();
  const row = page.getByTestId("consent-requests").locator("tr", { hasText: "QC-SUBJ-0001" }).first();
  await expect(row).toContainText("waiting for the person");
  await expect(row.locator("svg")).toBeVisible(); // the QR code a phone would scan
  const link = await row.getByRole("link", { name: "Approval link" }).getAttribute("href");
  await signOut(page);

  // Zhang Wei first links her own key (made in this browser, never readable) at each holder, in
  // her safe box, with the activation code that holder gave her.
  await signIn(page, "zhang.wei@quancheng.example");
  await page.goto("/subject");
  for (const [holder, name] of [["jinan-social-security", "Jinan Social Insurance Center"], ["jinan-housing-fund", "Jinan Housing Provident Fund Center"]] as const) {
    const linkRow = page.getByTestId("linked-holders").locator("li", { hasText: name });
    await linkRow.getByLabel("Activation code").fill(await nodeCode(holder, "activation", "QC-SUBJ-0001"));
    await linkRow.getByRole("button", { name: "Link my key" }).click();
    await expect(page.getByTestId("linked-holders").locator("li", { hasText: name })).toContainText("linked (this browser)");
  }
  // Then she opens the link (or scans the QR code) and approves once: her key signs the consent,
  // naming the bank's envelope key she is shown.
  await page.goto(link!);
  const ask = page.getByTestId("consent-request");
  await expect(ask).toContainText("mortgage underwriting");
  await expect(ask.getByTestId("envelope-key")).toContainText("Will be sealed to the buyer's key");
  await ask.getByRole("button", { name: "Approve", exact: true }).click();
  await expect(ask.getByTestId("consent-outcome")).toContainText("You approved this request.");
  await page.goto("/subject");
  await expect(page.getByTestId("safe-box").locator("tr", { hasText: "Quancheng Commercial Bank" }).first()).toContainText("approved");
  await signOut(page);

  // The bank fetches the envelope through the holder's node and opens it in its browser.
  await signIn(page, "bank@quancheng.example");
  await page.goto("/buyer/consents");
  await page.getByTestId("consent-requests").locator("tr", { hasText: "QC-SUBJ-0001" }).first().getByRole("button", { name: "Fetch and open the envelope" }).click();
  const fields = page.getByTestId("envelope-fields");
  await expect(fields).toContainText("contribution_base");
  await expect(fields).toContainText("months_paid");
  // The record is shown once: the bank saves it before leaving the page.
  const [saved] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Save the record (JSON)" }).click()]);
  expect(JSON.parse(await readFile(await saved.path(), "utf8")).fields).toHaveProperty("contribution_base");
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

test("on a phone: the link survives sign-in, the page says who asks for what, a suspended bank cannot be granted anything", async ({ page, browser }) => {
  test.setTimeout(150_000);
  // The bank asks Li Na for her housing-fund record, twice: one she will approve, one after the bank is suspended.
  await signIn(page, "bank@quancheng.example");
  await page.goto("/buyer/consents");
  if (await page.getByRole("button", { name: "Generate an envelope key" }).isVisible()) {
    await page.getByRole("button", { name: "Generate an envelope key" }).click();
  }
  await expect(page.getByTestId("envelope-key")).toContainText("its private half stays in this browser");
  const links: string[] = [];
  for (const purpose of ["loan pre-approval", "credit card limit review"]) {
    await page.getByLabel("Person's identifier").fill("QC-SUBJ-0002");
    await page.getByRole("combobox", { name: /^Resource/ }).selectOption({ label: "Housing provident fund deposits · Jinan Housing Provident Fund Center" });
    await page.getByLabel("Purpose").fill(purpose);
    await page.getByRole("button", { name: "Send the request" }).click();
    const row = page.getByTestId("consent-requests").locator("tr", { hasText: purpose }).first();
    links.push((await row.getByRole("link", { name: "Approval link" }).getAttribute("href"))!);
  }
  await signOut(page);

  // Li Na scans the first QR code with her phone, signed out: the sign-in page says why, and brings her back.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "en-GB", isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(new URL(links[0]!).pathname);
  await expect(p.getByTestId("signin-reason")).toContainText("asks for your consent");
  await p.getByLabel("Email").fill("li.na@quancheng.example");
  await p.getByLabel("Password").fill("quancheng-demo-2026");
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(/\/consent\//);
  const ask = p.getByTestId("consent-request");
  await expect(ask.getByRole("heading")).toHaveText("Quancheng Commercial Bank asks for your consent");
  await expect(ask.getByTestId("consent-fields")).toContainText("Monthly deposit");
  await expect(ask.getByTestId("consent-fields")).not.toContainText("monthly_deposit");
  await expect(ask).toContainText("loan pre-approval");
  // Her phone's key is not linked at the housing fund yet: the page asks for that one holder's code only.
  const linkRow = ask.getByTestId("linked-holders").locator("li");
  await expect(linkRow).toHaveCount(1);
  await linkRow.getByLabel("Activation code").fill(await nodeCode("jinan-housing-fund", "activation", "QC-SUBJ-0002"));
  await linkRow.getByRole("button", { name: "Link my key" }).click();
  await ask.getByRole("button", { name: "Approve", exact: true }).click();
  await expect(ask.getByTestId("consent-outcome")).toContainText("You approved this request.");
  await expect(ask.getByTestId("consent-outcome")).toContainText("can receive these records once");
  expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

  // The supervisor suspends the bank.
  await signIn(page, "supervisor@quancheng.example");
  await page.goto("/supervisor");
  await page.getByRole("combobox", { name: /^What/ }).selectOption("BUYER");
  await page.getByRole("combobox", { name: /^Whom/ }).selectOption({ label: "Quancheng Commercial Bank" });
  await page.getByLabel("Reason (kept; its hash goes on the ledger)").fill("Consent requests outside the declared purposes.");
  await page.getByRole("button", { name: "Suspend" }).click();
  await expect(page.getByTestId("suspensions")).toContainText("Consent requests outside the declared purposes.");
  await signOut(page);

  // The bank sees why on every page, cannot ask anyone, and cannot open what Li Na approved before.
  await signIn(page, "bank@quancheng.example");
  await expect(page.getByTestId("suspension-banner")).toContainText("Consent requests outside the declared purposes.");
  await page.goto("/buyer/consents");
  await expect(page.getByTestId("suspension-banner")).toBeVisible();
  await page.getByLabel("Person's identifier").fill("QC-SUBJ-0002");
  await page.getByLabel("Purpose").fill("another try");
  await page.getByRole("button", { name: "Send the request" }).click();
  await expect(page.locator(".error[role=alert]").first()).toContainText("suspended by the supervisor");
  await page.getByTestId("consent-requests").locator("tr", { hasText: "loan pre-approval" }).first().getByRole("button", { name: "Fetch and open the envelope" }).click();
  await expect(page.locator(".error[role=alert]").first()).toContainText("suspended by the supervisor");
  await page.goto("/buyer/orders");
  await page.getByRole("button", { name: "Order a product" }).click();
  await expect(page.locator(".error[role=alert]")).toContainText("suspended by the supervisor");
  await signOut(page);

  // Li Na's second request: she is told, can only refuse, and sees it confirmed.
  await p.goto(new URL(links[1]!).pathname);
  await expect(ask.getByTestId("requester-suspended")).toContainText("suspended Quancheng Commercial Bank");
  await expect(ask.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);
  await ask.getByRole("button", { name: "Refuse" }).click();
  await ask.getByLabel("Reason (optional)").fill("Not while the bank is suspended.");
  await ask.getByRole("button", { name: "Refuse this request" }).click();
  await expect(ask.getByTestId("consent-outcome")).toContainText("You refused this request.");
  await expect(ask).not.toContainText("Uses");
  await phone.close();

  // The supervisor lifts the suspension; the banner is gone.
  await signIn(page, "supervisor@quancheng.example");
  await page.goto("/supervisor");
  const s = page.getByTestId("suspensions").locator("tr", { hasText: "Quancheng Commercial Bank" }).filter({ hasText: "Consent requests outside" });
  await s.getByLabel("Reason for lifting").fill("Purposes corrected with the supervisor.");
  await s.getByRole("button", { name: "Lift" }).click();
  await expect(page.getByTestId("suspensions").locator("tr", { hasText: "Consent requests outside" })).toContainText("lifted");
  await signOut(page);
  await signIn(page, "bank@quancheng.example");
  await expect(page.getByTestId("suspension-banner")).toHaveCount(0);
});
