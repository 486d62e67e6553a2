import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';

/**
 * Chromium for browser tests: CHROMIUM_PATH, then Debian's /usr/bin/chromium,
 * then whatever browser Playwright installed itself.
 */
function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return undefined;
}

const APP_PORT = Number(process.env.APP_PORT ?? 3107);

export default defineConfig({
  testDir: '.',
  outputDir: './results',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: process.env.CI ? 2 : undefined,
  reporter: process.env.CI ? [['list'], ['json', { outputFile: 'results/report.json' }]] : 'list',
  use: {
    baseURL: `http://127.0.0.1:${APP_PORT}`,
    launchOptions: {
      executablePath: chromiumPath(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'node', testMatch: /(core|cli|store|registry|estargz|adversarial)\/.*\.spec\.ts$/ },
    {
      name: 'browser',
      testMatch: /browser\/.*\.spec\.ts$/,
    },
    {
      name: 'e2e',
      testMatch: /e2e\/.*\.spec\.ts$/,
    },
  ],
  webServer: process.env.SKIP_APP_SERVER
    ? undefined
    : {
        command: `npx next start -H 127.0.0.1 -p ${APP_PORT}`,
        cwd: '..',
        url: `http://127.0.0.1:${APP_PORT}`,
        reuseExistingServer: !process.env.CI,
        timeout: 120_000,
      },
});
