import { expect, test } from "@playwright/test";
import { signIn } from "./session";

/**
 * The machine API as an integration team meets it: an admin of the bank makes a token on the
 * organisation page, a system uses it (plain HTTP from outside the browser), the use shows up,
 * the admin revokes it; and the interactive reference renders the OpenAPI document.
 */
test("an org admin makes an API token, a system uses it, the admin revokes it", async ({ page, request }) => {
  await signIn(page, "bank@quancheng.example");
  await page.goto("/organisation");
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  await page.getByLabel("What uses it").fill("core banking (e2e)");
  await page.getByRole("checkbox", { name: "Buyer" }).check();
  await page.getByRole("button", { name: "Make a token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  expect(token).toMatch(/^mkt_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);

  const orders = await request.get("/api/v1/orders", { headers: { authorization: `Bearer ${token}` } });
  expect(orders.status()).toBe(200);
  expect(Array.isArray(await orders.json())).toBe(true);
  expect((await request.get("/api/v1/orders")).status()).toBe(401);

  await page.reload();
  const row = page.getByRole("row", { name: /core banking \(e2e\)/ });
  await expect(row).not.toContainText("never");
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  expect((await request.get("/api/v1/orders", { headers: { authorization: `Bearer ${token}` } })).status()).toBe(401);
});

test("the API reference renders the OpenAPI document", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto("/api-reference");
  await expect(page.getByText("Privacy data marketplace API")).toBeVisible();
  await expect(page.getByText("Place an order for a product")).toBeVisible();
  await expect(page.getByRole("button", { name: "Authorize" })).toBeVisible();
  expect(errors).toEqual([]);
});
