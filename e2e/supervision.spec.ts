import { expect, test } from "@playwright/test";
import { signIn, signOut } from "./session";

test("the supervisor sees the ledger verified in the browser, suspends a buyer at once, and lifts it", async ({ page }) => {
  await signIn(page, "supervisor@quancheng.example");
  await page.goto("/supervisor");
  // Every event of the demo world is on the ledger; each proof is checked here against the signed checkpoint.
  await expect(page.getByTestId("checkpoint")).toContainText("✔ valid");
  const feed = page.getByTestId("ledger-feed");
  await expect(feed.locator("tr[data-status=verified]").first()).toBeVisible({ timeout: 15_000 });
  await expect(feed.locator("tr[data-status=failed]")).toHaveCount(0);
  await expect(page.getByTestId("ledger-stats")).toContainText("Queries delivered per product");

  await page.getByRole("combobox", { name: /^What/ }).selectOption("BUYER");
  await page.getByRole("combobox", { name: /^Whom/ }).selectOption({ label: "Mingshui Mutual Insurance" });
  await page.getByLabel("Reason (kept; its hash goes on the ledger)").fill("Queries suggest attempts to single out patients.");
  await page.getByRole("button", { name: "Suspend" }).click();
  await expect(page.getByTestId("suspensions")).toContainText("Queries suggest attempts to single out patients.");
  // The suspension itself is on the ledger, verified like everything else.
  await page.getByRole("combobox", { name: /^Event/ }).selectOption("supervision");
  await expect(feed.locator("tr[data-status=verified]", { hasText: "supervision.suspended" }).first()).toBeVisible({ timeout: 15_000 });
  await signOut(page);

  // The insurer is stopped at once.
  await signIn(page, "insurer@quancheng.example");
  await expect(page.getByTestId("suspension-banner")).toContainText("Queries suggest attempts to single out patients.");
  await page.goto("/buyer/orders");
  await page.getByRole("button", { name: "Order a product" }).click();
  await expect(page.locator(".error[role=alert]")).toContainText("suspended by the supervisor");
  // Its own events are on the ledger too, proofs checked in its browser.
  await page.goto("/ledger");
  await expect(page.getByTestId("ledger-feed").locator("tr[data-status=verified]").first()).toBeVisible({ timeout: 15_000 });
  await signOut(page);

  await signIn(page, "supervisor@quancheng.example");
  await page.goto("/supervisor");
  const row = page.getByTestId("suspensions").locator("tr", { hasText: "Mingshui Mutual Insurance" });
  await row.getByLabel("Reason for lifting").fill("Investigation closed: no re-identification found.");
  await row.getByRole("button", { name: "Lift" }).click();
  await expect(page.getByTestId("suspensions").locator("tr", { hasText: "Mingshui Mutual Insurance" })).toContainText("lifted");
});
