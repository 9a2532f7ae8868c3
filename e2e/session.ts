import type { Page } from "@playwright/test";

/** Sign in with a demo account (every demo account has the same password). */
export async function signIn(page: Page, email: string) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("quancheng-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/signin"));
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin/);
}

/**
 * A code a demo node issued (what a holder hands a person, or prints for itself), read from the
 * node's own folder: in real life it reaches the person or the holder out of band, never
 * through the marketplace.
 */
export async function nodeCode(holder: string, kind: "activation" | "enrolment", subjectRef?: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  const dir = `${process.env.E2E_DATA_DIR ?? ".data/e2e"}/nodes/${holder}/keys`;
  if (kind === "enrolment") return (JSON.parse(await readFile(`${dir}/holder-codes.json`, "utf8")) as string[]).at(-1)!;
  return (JSON.parse(await readFile(`${dir}/activation-codes.json`, "utf8")) as Record<string, string[]>)[subjectRef!]!.at(-1)!;
}
