import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { signIn, signOut } from "./session";

/** Every page each role opens, at a laptop's width and a phone's: nothing may scroll sideways. */
const pages: [string, string[]][] = [
  ["bank@quancheng.example", ["/buyer", "/buyer/orders", "/buyer/query", "/buyer/consents", "/catalog", "/demands", "/ledger", "/organisation", "/account"]],
  ["central-hospital@quancheng.example", ["/holder", "/holder/resources"]],
  ["developer@quancheng.example", ["/developer"]],
  ["operator@quancheng.example", ["/operator"]],
  ["supervisor@quancheng.example", ["/supervisor"]],
  ["zhang.wei@quancheng.example", ["/subject"]],
  ["admin@quancheng.example", ["/admin"]],
];

async function check(page: Page, info: TestInfo, path: string, width: number) {
  await page.goto(path);
  await page.waitForLoadState("networkidle");
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  await info.attach(`${path.replaceAll("/", "_") || "_"}-${width}.png`, { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
  expect.soft(scrollWidth, `${path} at ${width} px scrolls sideways`).toBeLessThanOrEqual(innerWidth);
}

for (const width of [1366, 390]) {
  test(`no page scrolls sideways at ${width} px`, async ({ browser }, info) => {
    test.setTimeout(240_000);
    const context = await browser.newContext({ viewport: { width, height: width === 390 ? 844 : 900 }, locale: "en-GB", isMobile: width === 390 });
    const page = await context.newPage();
    for (const path of ["/signin", "/signup"]) await check(page, info, path, width);
    for (const [email, paths] of pages) {
      await signIn(page, email);
      for (const path of paths) await check(page, info, path, width);
      await signOut(page);
    }
    await context.close();
  });
}
