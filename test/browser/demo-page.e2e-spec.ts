import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DemoWindow } from '../support/demo-window';
import { launchBrowser, TEST_OUTPUT, type BrowserPeer } from '../support/browser';
import { createTestApp, type TestApp } from '../support/test-app';

// The demo page in a real headless Chromium against a real Hekim (PostgreSQL + Redis).
describe('browser: the demo page', () => {
  let t: TestApp;
  let browser: BrowserPeer;
  let base: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const address = t.app.getHttpServer().address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');
    base = `http://127.0.0.1:${address.port}`;
    browser = await launchBrowser();
    browser.page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders the sign-in page and runs its scripts under the content security policy', async () => {
    const { page } = browser;
    await page.goto(`${base}/demo`);
    await page.getByTestId('signin-submit').waitFor({ state: 'visible' });
    expect(await page.title()).toBe('Hekim demo: video consultation');
    // main.js ran (it installs the debugging handle) and nobody is signed in yet.
    await page.waitForFunction(() => (globalThis as unknown as DemoWindow).hekimDemo !== undefined);
    expect(
      await page.evaluate(() => (globalThis as unknown as DemoWindow).hekimDemo?.state),
    ).toMatchObject({ signalingConnected: false });
    expect(await page.getByTestId('user-panel').isHidden()).toBe(true);
    expect(await page.getByTestId('signaling-state').textContent()).toBe('offline');
    expect(cspViolations).toEqual([]);

    await mkdir(join(TEST_OUTPUT, 'browser'), { recursive: true });
    await page.screenshot({
      path: join(TEST_OUTPUT, 'browser', 'demo-sign-in.png'),
      fullPage: true,
    });
  });

  it('submits the sign-in form to the API and shows its problem detail on failure', async () => {
    const { page } = browser;
    await page.goto(`${base}/demo`);
    await page.getByTestId('signin-email').fill('nobody@example.test');
    await page.getByTestId('signin-password').fill('not the password');
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/api/v1/auth/login') && r.method() === 'POST'),
      page.getByTestId('signin-submit').click(),
    ]);
    expect(request.postDataJSON()).toEqual({
      email: 'nobody@example.test',
      password: 'not the password',
    });
    const error = page.getByTestId('auth-error');
    await error.filter({ hasText: /\S/ }).waitFor();
    // Whatever the API answered (no such account, or no auth module yet), the page shows
    // the problem's code and stays signed out.
    expect(await error.textContent()).toMatch(/^(UNAUTHORIZED|NOT_FOUND|RATE_LIMITED): /);
    expect(await page.getByTestId('user-panel').isHidden()).toBe(true);
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as DemoWindow).sessionStorage.getItem('hekim-demo.tokens'),
      ),
    ).toBeNull();
  });
});
