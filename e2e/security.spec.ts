import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./session";

/** Every CSP violation the page reports, collected from its own securitypolicyviolation events. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    (window as unknown as { __csp: string[] }).__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

test("pages carry a nonce-based CSP and the other security headers; API answers are nosniff", async ({ request }) => {
  const a = await request.get("/signin");
  const b = await request.get("/signin");
  const csp = a.headers()["content-security-policy"]!;
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain("'unsafe-eval'");
  expect(/'nonce-([^']+)'/.exec(csp)![1]).not.toBe(/'nonce-([^']+)'/.exec(b.headers()["content-security-policy"]!)![1]);
  // Next's own scripts carry this response's nonce.
  const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
  expect(await a.text()).toContain(`nonce="${nonce}"`);
  for (const h of [a.headers(), (await request.get("/api/health")).headers()]) {
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["x-frame-options"]).toBe("DENY");
    expect(h["referrer-policy"]).toBe("no-referrer");
  }
  expect(a.headers()["strict-transport-security"]).toBeUndefined(); // plain http on localhost
  // Over https (as a TLS-terminating proxy says), HSTS and upgrade-insecure-requests.
  const tls = await request.get("/signin", { headers: { "x-forwarded-proto": "https" } });
  expect(tls.headers()["strict-transport-security"]).toMatch(/max-age=\d{8}/);
  expect(tls.headers()["content-security-policy"]).toContain("upgrade-insecure-requests");
});

test("the app runs under its policy, and markup injected into a page cannot run script", async ({ page }) => {
  const violations = await watchViolations(page);
  await signIn(page, "insurer@quancheng.example");
  await page.goto("/catalog");
  await expect(page.getByRole("heading").first()).toBeVisible();
  expect(await violations()).toEqual([]);

  // What a stored-XSS payload would do once it reached the markup: inline handlers, a
  // javascript: link, and a parser-inserted inline script (in a srcdoc frame, which inherits
  // the page's policy). None carries the nonce.
  await page.evaluate(() => {
    document.body.insertAdjacentHTML("beforeend", `<img src="/icon.svg?x" onerror="window.__pwned=1" onload="window.__pwned=1"><a id="js" href="javascript:window.__pwned=1">x</a>`
      + `<iframe srcdoc="<script>parent.__pwned=2</script>"></iframe>`);
  });
  await page.locator("#js").click();
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  const blocked = await violations();
  expect(blocked.some((v) => v.startsWith("script-src"))).toBe(true);

  // The encrypted query console is the one page allowed eval (node-seal's bindings need it),
  // also when reached by a client-side navigation from a page that is not (it reloads itself).
  const csp = (await page.request.get("/buyer/query")).headers()["content-security-policy"]!;
  expect(csp).toContain("'unsafe-eval'");
  // (Checked on the documents loaded: code run by page.evaluate is not held to the page's eval rule.)
  const consoleDocument = () => page.waitForResponse((r) => r.request().resourceType() === "document" && new URL(r.url()).pathname === "/buyer/query");
  await page.goto("/buyer");
  const [viaLink] = await Promise.all([consoleDocument(), page.getByRole("link", { name: "Open the query console" }).click()]);
  expect(viaLink.headers()["content-security-policy"]).toContain("'unsafe-eval'");
  // A client-side navigation (Next's router) keeps the first page's policy: the console reloads itself.
  await page.goto("/catalog");
  const [reloaded] = await Promise.all([
    consoleDocument(),
    page.evaluate(() => (window as unknown as { next: { router: { push(u: string): void } } }).next.router.push("/buyer/query")),
  ]);
  expect(reloaded.headers()["content-security-policy"]).toContain("'unsafe-eval'");
  // Let the console finish reading this browser's key store before the context closes (Chromium
  // could hang closing a context while a first IndexedDB open was under way).
  await expect(page.getByTestId("key-none")).toBeVisible();
});
