import { expect, test, type Page } from "@playwright/test";

const PASSWORD = "quancheng-demo-2026";

async function signIn(page: Page, email: string, password = PASSWORD, expectSuccess = true) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (expectSuccess) await page.waitForURL((u) => !u.pathname.startsWith("/signin"));
}

// Our error messages (Next's route announcer is an empty role=alert of its own).
const errorAlert = (page: Page) => page.locator(".error[role=alert]");

const homes = [
  { email: "tax@quancheng.example", path: "/holder", heading: "Data holder home" },
  { email: "developer@quancheng.example", path: "/developer", heading: "Product developer home" },
  { email: "operator@quancheng.example", path: "/operator", heading: "Market operator home" },
  { email: "bank@quancheng.example", path: "/buyer", heading: "Buyer home" },
  { email: "zhang.wei@quancheng.example", path: "/subject", heading: "Data subject home" },
  { email: "supervisor@quancheng.example", path: "/supervisor", heading: "Supervisor home" },
  { email: "admin@quancheng.example", path: "/admin", heading: "Market admin home" },
];

for (const h of homes) {
  test(`${h.email} signs in and lands on their home`, async ({ page }) => {
    await signIn(page, h.email);
    await expect(page).toHaveURL(new RegExp(`${h.path}$`));
    await expect(page.getByTestId("role-home")).toHaveText(h.heading);
    await expect(page.locator("main section.panel, main p.empty").first()).toBeVisible();
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/signin/);
  });
}

test("a buyer cannot open a holder's page and is told why", async ({ page }) => {
  await signIn(page, "bank@quancheng.example");
  await expect(page).toHaveURL(/\/buyer$/);
  await page.goto("/holder");
  const refusal = page.getByTestId("refusal");
  await expect(refusal).toContainText("Not available to your organisation");
  await expect(refusal).toContainText("This page needs the Data holder role. Quancheng Commercial Bank holds: Buyer.");
  // The navigation offers only the buyer's own pages.
  await expect(page.getByRole("navigation", { name: "main" }).getByRole("link", { name: "Data holder" })).toHaveCount(0);
});

test("signed out, a role page sends you to sign in", async ({ page }) => {
  await page.goto("/holder");
  await expect(page).toHaveURL(/\/signin$/);
});

test("a wrong password gets a clear message", async ({ page }) => {
  await signIn(page, "tax@quancheng.example", "not-the-password", false);
  await expect(errorAlert(page)).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/signin$/);
});

test("a person in two organisations switches between them", async ({ page }) => {
  await signIn(page, "admin@quancheng.example");
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByLabel("Acting for").selectOption({ label: "Quancheng Public Data Operations Co." });
  await expect(page).toHaveURL(/\/operator$/);
  await expect(page.getByTestId("role-home")).toHaveText("Market operator home");
});

test("the interface switches to Chinese and back", async ({ page }) => {
  await signIn(page, "bank@quancheng.example");
  await page.getByRole("button", { name: "Language" }).click();
  await expect(page.getByTestId("role-home")).toHaveText("数据使用方首页");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await page.getByRole("button", { name: "语言" }).click();
  await expect(page.getByTestId("role-home")).toHaveText("Buyer home");
});

test("sign-up makes a personal account; the same email again is refused", async ({ page }) => {
  const email = `new.citizen.${Date.now()}@example.com`;
  await page.goto("/signup");
  await page.getByLabel("Your name").fill("New Citizen");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/^Password/).fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/subject$/);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin$/);
  await page.goto("/signup");
  await page.getByLabel("Your name").fill("Impostor");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/^Password/).fill("another long password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(errorAlert(page)).toHaveText("An account with this email already exists. Sign in instead.");
});

test("an admin grants a requested role and the organisation gets its home", async ({ page, browser }) => {
  await signIn(page, "admin@quancheng.example");
  const row = page.getByTestId("org-daming-lake-analytics");
  await row.getByLabel("Buyer").check();
  await row.getByLabel("Reason for the change").fill("Business licence verified");
  await row.getByRole("button", { name: "Save roles" }).click();
  await expect(row.getByRole("status")).toHaveText("Roles saved.");
  const other = await browser.newPage({ locale: "en-GB" });
  await signIn(other, "analyst@quancheng.example");
  await expect(other).toHaveURL(/\/buyer$/);
  await other.close();
});

test("an owner invites a member, who accepts and joins", async ({ page, browser }) => {
  await signIn(page, "insurer@quancheng.example");
  await page.goto("/organisation");
  await page.getByLabel("Email").fill("li.na@quancheng.example");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toContainText("Invitation created for li.na@quancheng.example");
  const other = await browser.newPage({ locale: "en-GB" });
  await signIn(other, "li.na@quancheng.example");
  await other.goto("/account");
  await other.getByRole("button", { name: "Accept" }).click();
  await expect(other.getByLabel("Acting for")).toContainText("Mingshui Mutual Insurance");
  await other.close();
});

test("the catalog finds resources and products by Chinese or English words", async ({ page }) => {
  await signIn(page, "bank@quancheng.example");
  await page.goto("/catalog?q=" + encodeURIComponent("医疗费用"));
  // Each of the three hospitals registered its claim records; the product built on them matches too.
  await expect(page.getByRole("heading", { name: "Claim records", exact: true })).toHaveCount(3);
  await expect(page.getByTestId("catalog-item").filter({ hasText: "Hospital claims by district and age band" })).toHaveCount(1);
  await page.getByLabel("Search resources and products").fill("claims district age");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("catalog-item").filter({ hasText: "Hospital claims by district and age band" })).toHaveCount(1);
  await page.getByRole("link", { name: "Hospital claims by district and age band" }).click();
  await expect(page.getByTestId("result-shape")).toContainText("AVG(claim_amount)");
  await expect(page.getByText("Jinan Central Hospital, Jinan No. 2 People's Hospital, Licheng District People's Hospital")).toBeVisible();
  await page.goBack();
  await page.getByLabel("Search resources and products").fill("公积金");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("catalog-item")).toHaveCount(1);
  await expect(page.getByTestId("catalog-item")).toContainText("Housing provident fund deposits");
});
