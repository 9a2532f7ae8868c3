import { expect, test } from "@playwright/test";

/** The Chinese interface is complete: Chinese names, translated reasons, local number formats, a phone-sized page. */
test("在中文界面中：机构与产品用中文名称，错误原因为中文，金额带千位分隔符", async ({ browser }) => {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto("/signin");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("登录");
  await expect(page.getByRole("button", { name: "语言" })).toHaveText("English");
  await page.getByLabel("电子邮箱").fill("bank@quancheng.example");
  await page.getByLabel("密码").fill("quancheng-demo-2026");
  await page.getByRole("button", { name: "登录" }).click();
  await page.waitForURL(/\/buyer$/);

  // The catalog names the holder and the product in Chinese.
  await page.goto("/catalog?q=医疗费用");
  const item = page.getByTestId("catalog-item").filter({ hasText: "各区县分年龄段医疗费用统计" });
  await expect(item.getByTestId("catalog-owner")).toContainText("开发方：");
  await expect(item).toContainText("医疗健康");

  // An order's total is written the Chinese way.
  await page.goto("/buyer/orders");
  await page.getByRole("combobox", { name: "数据产品" }).selectOption({ label: "各区县分年龄段医疗费用统计" });
  await page.getByLabel("购买查询次数").fill("100");
  await expect(page.getByText(/合计：¥\d{1,3}(,\d{3})*\.\d{2}/)).toBeVisible();

  // A refusal from the server reads in Chinese, by its reason code: a holder registers a name it already used.
  await page.getByRole("button", { name: "退出登录" }).click();
  await page.waitForURL(/\/signin/);
  await page.getByLabel("电子邮箱").fill("central-hospital@quancheng.example");
  await page.getByLabel("密码").fill("quancheng-demo-2026");
  await page.getByRole("button", { name: "登录" }).click();
  await page.waitForURL(/\/holder$/);
  await page.goto("/holder/resources");
  const form = page.getByTestId("register-resource");
  await form.getByLabel("名称", { exact: true }).fill("Claim records");
  await form.getByLabel("领域").fill("health");
  await form.getByLabel("字段名 1").fill("district");
  await form.getByRole("button", { name: "登记数据资源" }).click();
  await expect(form.locator(".error[role=alert]")).toHaveText("贵机构已登记同名的数据资源。");
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await context.close();
});
