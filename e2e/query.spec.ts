import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { openSecret } from "../app/_lib/sealed-secret";

test("an insurer runs an encrypted query across three hospitals and decrypts it in the browser", async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto("/signin");
  await page.getByLabel("Email").fill("insurer@quancheng.example");
  await page.getByLabel("Password").fill("quancheng-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/buyer$/);
  await page.getByRole("link", { name: "Open the query console" }).click();
  await expect(page.getByRole("heading", { name: "Encrypted query console" })).toBeVisible();

  // The key pair is made here; only the public key is ever sent.
  const sent: string[] = [];
  page.on("request", (r) => { if (r.method() === "POST") sent.push(r.postData() ?? ""); });
  // …and its secret half is stored only sealed under the buyer's passphrase (docs/query.md, "Keys").
  const passphrase = "correct horse battery staple";
  await expect(page.getByRole("button", { name: "Generate a key pair" })).toBeDisabled(); // no passphrase yet
  await page.getByLabel("Key passphrase").fill(passphrase);
  await page.getByRole("button", { name: "Generate a key pair" }).click();
  await expect(page.getByTestId("key-ready")).toBeVisible({ timeout: 60_000 });
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export key" }).click()]);
  const file = await readFile(await download.path(), "utf8");
  const secretKey = await openSecret(JSON.parse(file), passphrase); // the export is the sealed record, opened only with the passphrase
  const stored = { secretKey };
  expect(file).not.toContain(secretKey.slice(0, 64));
  // Nothing in the page's storage holds the secret key in the clear.
  const kept = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open("qc-market-keys"); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
    const all = await new Promise<unknown[]>((resolve) => { const r = db.transaction("keys").objectStore("keys").getAll(); r.onsuccess = () => resolve(r.result as unknown[]); });
    db.close();
    return JSON.stringify(all, (_, v: unknown) => (v instanceof CryptoKey ? "[CryptoKey]" : v)) + JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage });
  });
  expect(kept).toContain("PBKDF2-SHA-256");
  expect(kept).not.toContain(secretKey.slice(0, 64));

  await page.getByRole("button", { name: "Run encrypted query" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("done", { timeout: 90_000 });
  const table = page.getByTestId("results");
  await expect(table).toBeVisible({ timeout: 30_000 });
  await expect(table.locator("thead")).toContainText("AVG(claim_amount)");
  await expect(table.locator("tbody tr")).toHaveCount(60); // 10 districts × 6 age bands
  await expect(page.getByTestId("job")).toContainText("ε spent: 1");
  // A plausible mean claim (yuan) in the largest released group: about 3,000 claims, so the
  // DP noise on its mean (ε 1, bound 20,000) is a few hundred yuan around a mean near 2,000.
  const released = await table.locator("tbody tr").filter({ hasNot: page.locator("em") }).evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => Number(td.textContent!.replace(/,/g, "")))));
  const largest = released.reduce((a, b) => (b[2]! > a[2]! ? b : a));
  expect(largest[2]).toBeGreaterThan(1000);
  expect(largest[3]).toBeGreaterThan(500);
  expect(largest[3]).toBeLessThan(5000);
  expect(sent.some((body) => body.includes(stored.secretKey.slice(0, 64)))).toBe(false);
  // Every released group is charted (not a first few), with a note on the noise.
  await expect(page.getByTestId("result-chart")).toHaveAttribute("data-bars", String(released.length));
  await expect(page.getByTestId("result-chart").locator("svg")).toBeVisible();
  await expect(page.getByTestId("dp-note")).toContainText("differential privacy, ε = 1");

  // The result survives a reload: the key is stored sealed, so it is opened with the passphrase
  // (a wrong one is refused), and the stored ciphertexts are decrypted again here.
  await page.reload();
  await expect(page.getByTestId("job-status")).toHaveText("done");
  await expect(page.getByTestId("key-locked")).toBeVisible();
  await page.getByLabel("Key passphrase").fill("not the passphrase");
  await page.getByRole("button", { name: "Open key" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong passphrase" })).toBeVisible({ timeout: 30_000 });
  await page.getByLabel("Key passphrase").fill(passphrase);
  await page.getByRole("button", { name: "Open key" }).click();
  await expect(page.getByTestId("key-ready")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("results").locator("tbody tr")).toHaveCount(60);
  const again = await page.getByTestId("results").locator("tbody tr").filter({ hasNot: page.locator("em") }).evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => Number(td.textContent!.replace(/,/g, "")))));
  expect(again).toEqual(released);
  // …and is exported as CSV and JSON.
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  const lines = (await readFile(await csv.path(), "utf8")).replace(/^\uFEFF/, "").trim().split(/\r\n/);
  expect(lines[0]).toBe("district,age,count,AVG(claim_amount),suppressed");
  expect(lines).toHaveLength(61);
  const [json] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download JSON" }).click()]);
  const doc = JSON.parse(await readFile(await json.path(), "utf8")) as { rows: Record<string, unknown>[]; epsilon: number };
  expect(doc.rows).toHaveLength(60);
  expect(doc.epsilon).toBe(1);
  // The buyer's home lists it, and reopens it.
  await page.goto("/buyer");
  await page.getByTestId("recent-queries").getByRole("link", { name: "Open the result" }).first().click();
  await page.getByLabel("Key passphrase").fill(passphrase); // a new page: the key is closed again
  await page.getByRole("button", { name: "Open key" }).click();
  await expect(page.getByTestId("results").locator("tbody tr")).toHaveCount(60);
});
