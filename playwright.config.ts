import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);

/**
 * Browser journeys against the real app: `npm start` on a fresh embedded database in
 * .data/e2e, driven in Debian's Chromium (no browser download; see docs/testing.md).
 */
export default defineConfig({
  testDir: "e2e",
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  reporter: process.env.CI ? [["list"]] : [["list"]],
  use: {
    baseURL: `http://localhost:${port}`,
    locale: "en-GB",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    },
    trace: "retain-on-failure",
  },
  webServer: {
    command: "rm -rf .data/e2e && tsx scripts/start.ts",
    env: { PORT: String(port), DATA_DIR: ".data/e2e", NEXTAUTH_URL: `http://localhost:${port}`, DEMO_WAIT_FOR_COMMITMENTS: "1" },
    // The health check answers 200 only once the database is migrated and reachable.
    url: `http://localhost:${port}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  },
});
