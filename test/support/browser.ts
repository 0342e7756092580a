import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { DemoWindow } from './demo-window';

// Debian's Chromium (.ci/apt-packages), never a downloaded browser.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Flags measured in NOTES.md: fake camera and microphone granted without a prompt, nothing
// phoning home, and real local addresses in ICE candidates instead of mDNS names (which
// would not resolve between two headless browsers).
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export interface BrowserPeer {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

// One headless Chromium process with a fresh profile of its own: two of them are two
// separate people, with separate storage, as in a real consultation.
export async function launchBrowser(): Promise<BrowserPeer> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'hekim-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1200, height: 900 },
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      // Peer connections first: closing the browser under a live one can hang its shutdown.
      await page
        .evaluate(() => {
          const handle = (globalThis as unknown as DemoWindow).hekimDemo;
          for (const pc of handle?.peerConnections ?? []) pc.close();
        })
        .catch(() => undefined);
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

// Polls a condition until it holds or the deadline passes (no fixed sleeps). Playwright's
// waitForFunction resolves at once on an async body, so getStats() polls go through here.
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  return last;
}

export const TEST_OUTPUT = join(__dirname, '..', '..', 'test-output');
