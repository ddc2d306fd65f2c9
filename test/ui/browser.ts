import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { servicesRequired } from '../helpers/services.ts';

/** Debian's chromium package; browsers are not downloaded from elsewhere. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where the browser tests save their screenshots (git-ignored). */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/ui/', import.meta.url));

/**
 * `undefined` when chromium is installed; otherwise a skip message, or a thrown error
 * when `STOWAGE_REQUIRE_SERVICES=1` (CI) requires the browser tests to run.
 */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const message = `chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`;
  if (servicesRequired) throw new Error(`${message}, and STOWAGE_REQUIRE_SERVICES=1 requires the browser tests`);
  console.warn(`${message}: skipping the explorer's browser tests (set STOWAGE_REQUIRE_SERVICES=1 to fail instead)`);
  return message;
}

/** A headless chromium with a fresh profile; `close` ends it and removes the profile. */
export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new page that records script errors and dialogs (an XSS would open one). */
  page(): Promise<{ page: Page; problems: string[] }>;
  close(): Promise<void>;
}

/** Starts chromium through playwright-core with a fresh user-data-dir. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'stowage-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async page() {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('dialog', (dialog) => {
        problems.push(`dialog: ${dialog.message()}`);
        dialog.dismiss().catch(() => undefined);
      });
      return { page, problems };
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** Saves a screenshot (the full page unless told otherwise) under test-output/ui/. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: options.fullPage ?? true });
}
