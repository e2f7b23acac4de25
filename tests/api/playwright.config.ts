// API tests only: no browser is launched or needed. Each spec file starts its own `waiver serve`
// on a free port with a fresh database: SQLite, or PostgreSQL with WAIVER_TEST_ENGINE=postgresql
// (helpers/server.ts).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: process.env.CI ? 1 : 2,
  reporter: [['list'], ['./helpers/summary-reporter.ts']],
  timeout: 60_000,
  expect: { timeout: 5_000 },
  retries: 0,
  forbidOnly: !!process.env.CI,
  outputDir: 'test-results',
  use: {},
});
