// Browser tests: Debian's chromium (never a downloaded browser) against the real `waiver serve`,
// one server with a fresh database per spec file (helpers/server.ts), serving web/dist.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: process.env.CI ? 1 : 2,
  reporter: [['list']],
  timeout: 90_000,
  expect: { timeout: 10_000 },
  // One retry in CI, reported as "flaky" with the server's log: a rare failure seen once in CI
  // (changes.spec.ts, a request to the API failing) could not be reproduced in 40 runs here.
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  outputDir: 'test-results',
  use: {
    viewport: { width: 1280, height: 900 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.WAIVER_CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
