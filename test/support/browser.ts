import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { DemoWindow } from './demo-window';
import { createTestApp, type TestApp } from './test-app';

// Debian's Chromium (.ci/apt-packages), never a downloaded browser.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Flags measured on this Chromium: fake camera and microphone granted without a prompt, nothing
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

// One headless Chromium process; each person gets a browser context of their own (separate
// cookies, storage and permissions: two people on two machines, as far as the page can
// tell), which is much cheaper than a browser process each.
export interface People {
  people: BrowserPeer[];
  close(): Promise<void>;
}

// A desktop window; PHONE is a phone's (CSS pixels of a 6.1" phone, touch, mobile layout).
export const DESKTOP: ViewportOptions = { viewport: { width: 1200, height: 900 } };
export const PHONE: ViewportOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
};

export interface ViewportOptions {
  viewport: { width: number; height: number };
  isMobile?: boolean;
  hasTouch?: boolean;
  deviceScaleFactor?: number;
}

// `flags` replace FLAGS of the same name (e.g. `--use-fake-device-for-media-stream=device-count=2`
// for a second fake camera).
export async function launchPeople(
  count = 2,
  screen: ViewportOptions = DESKTOP,
  flags: readonly string[] = [],
): Promise<People> {
  const name = (flag: string): string => flag.split('=')[0];
  const args = [...FLAGS.filter((f) => !flags.some((x) => name(x) === name(f))), ...flags];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  try {
    const people = await Promise.all(
      Array.from({ length: count }, async (): Promise<BrowserPeer> => {
        // English, whatever the machine's locale: the tests read the English texts.
        const context = await browser.newContext({ ...screen, locale: 'en-GB' });
        const page = await context.newPage();
        return { context, page, close: () => closeContext(context, page) };
      }),
    );
    return {
      people,
      async close() {
        await Promise.all(people.map((p) => p.close()));
        await browser.close();
      },
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

// A listening test app and two people in one Chromium, for the describe block it is called
// in: its hooks are registered there (after any registered before it, so `env` may read what
// those started) and its fields are set before the first test. The first person is the
// doctor's page, the second the patient's.
export interface AppAndTwoPeople {
  t: TestApp;
  first: BrowserPeer;
  second: BrowserPeer;
  pages: { doctor: Page; patient: Page };
}

export function appAndTwoPeople(
  env?: () => NodeJS.ProcessEnv,
  screen: ViewportOptions = DESKTOP,
  flags: readonly string[] = [],
): AppAndTwoPeople {
  const set = {} as AppAndTwoPeople;
  let browsers: People | undefined;
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await createTestApp({ listen: true, env: env?.() });
    set.t = app;
    browsers = await launchPeople(2, screen, flags);
    [set.first, set.second] = browsers.people;
    set.pages = { doctor: set.first.page, patient: set.second.page };
  });
  afterAll(async () => {
    await browsers?.close();
    await app?.close();
  });
  return set;
}

// One person in a headless Chromium process of their own.
export async function launchBrowser(): Promise<BrowserPeer> {
  const { people, close } = await launchPeople(1);
  return { ...people[0], close };
}

async function closeContext(context: BrowserContext, page: Page): Promise<void> {
  // Peer connections first: closing the browser under a live one can hang its shutdown.
  await page
    .evaluate(() => {
      const handle = (globalThis as unknown as DemoWindow).hekimDemo;
      for (const pc of handle?.peerConnections ?? []) pc.close();
    })
    .catch(() => undefined);
  await context.close().catch(() => undefined);
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
