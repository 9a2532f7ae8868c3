import type { DemoAccount } from "../server/seed/demo";

export function printAccounts(accounts: DemoAccount[], password: string, url?: string) {
  const w = Math.max(...accounts.map((a) => a.email.length));
  console.log(`\nDemo accounts (password for all: ${password})${url ? `, sign in at ${url}/signin` : ""}`);
  for (const a of accounts) {
    const roles = a.roles.length ? a.roles.map((r) => r.toLowerCase()).join(", ") : "(roles requested, not granted)";
    console.log(`  ${a.email.padEnd(w)}  ${roles.padEnd(22)} ${a.organisations.join(" + ")}`);
  }
  console.log("");
}
