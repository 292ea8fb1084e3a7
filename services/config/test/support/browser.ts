import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from '../../../../test/servers';

// The page tests drive Debian's chromium through playwright-core. `npm test` installs it on first
// use (scripts/test.mjs); a missing browser is a failure, never a skip that would report the pages
// as tested.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the page tests cannot run, when chromium is not where they look; undefined when it is. */
export const chromiumMissing: string | undefined = fs.existsSync(CHROMIUM)
  ? undefined
  : `chromium not found at ${CHROMIUM}: run scripts/install-chromium.sh (apt-get install chromium) ` +
    'or set CHROMIUM_PATH; the page screenshots need it';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/**
 * Where a test file writes its screenshots: the README's folder when `npm run screenshots` names it
 * (SCREENSHOTS_DIR), else a temporary one removed at the end, so a test run leaves the tree as it was.
 */
export function screenshotFolder(): { dir: string; file(name: string): string; cleanUp(): void } {
  const named = process.env.SCREENSHOTS_DIR;
  const dir = named
    ? path.resolve(repoRoot, named)
    : fs.mkdtempSync(path.join(os.tmpdir(), 'call-sync-screenshots-'));
  fs.mkdirSync(dir, { recursive: true });
  return {
    dir,
    file: (name) => path.join(dir, name),
    cleanUp: () => {
      if (!named) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
