import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DemoWindow } from '../support/demo-window';
import { launchBrowser, TEST_OUTPUT, type BrowserPeer } from '../support/browser';
import { createTestApp, type TestApp } from '../support/test-app';

// The demo page in a real headless Chromium against a real Hekim (PostgreSQL + Redis).

const readTokens = (): string | null =>
  (globalThis as unknown as DemoWindow).sessionStorage.getItem('hekim-demo.tokens');
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
    expect(await page.title()).toBe('Hekim: online consultation');
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

  it('registers a patient, signs out and signs in again through the forms, against the real API', async () => {
    const { page } = browser;
    const email = `patient-${randomBytes(4).toString('hex')}@example.test`;
    const password = `demo ${randomBytes(6).toString('hex')} passphrase`;
    await page.goto(`${base}/demo`);
    await page.getByTestId('register-name').fill('Ayşe Yılmaz');
    await page.getByTestId('register-email').fill(email);
    await page.getByTestId('register-password').fill(password);
    await page.getByTestId('register-submit').click();

    await page.getByTestId('user-panel').waitFor({ state: 'visible' });
    expect(await page.getByTestId('whoami').textContent()).toBe('Ayşe Yılmaz');
    expect(await page.getByTestId('my-role').textContent()).toBe('Patient');
    expect(await page.getByTestId('greeting').textContent()).toBe('Hello, Ayşe Yılmaz');
    expect(await page.getByTestId('auth-panel').isHidden()).toBe(true);
    // The signaling gateway accepted the access token at the handshake.
    await page
      .locator('[data-testid="signaling-state"][data-state="connected"]')
      .waitFor({ state: 'attached' });
    // People are named, never shown by id: no UUID anywhere in what the page shows.
    expect(await page.locator('body').innerText()).not.toMatch(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/,
    );
    await mkdir(join(TEST_OUTPUT, 'browser'), { recursive: true });
    await page.screenshot({
      path: join(TEST_OUTPUT, 'browser', 'demo-signed-in.png'),
      fullPage: true,
    });

    // A reload keeps the tab signed in (tokens in sessionStorage).
    await page.reload();
    await page.getByTestId('user-panel').waitFor({ state: 'visible' });
    expect(await page.getByTestId('whoami').textContent()).toBe('Ayşe Yılmaz');

    await page.getByTestId('signout').click();
    await page.getByTestId('auth-panel').waitFor({ state: 'visible' });
    expect(await page.evaluate(readTokens)).toBeNull();

    await page.getByTestId('signin-email').fill(email);
    await page.getByTestId('signin-password').fill(password);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('user-panel').waitFor({ state: 'visible' });
    expect(await page.getByTestId('whoami').textContent()).toBe('Ayşe Yılmaz');
    expect(await page.evaluate(readTokens)).toContain('accessToken');
    await page.getByTestId('signout').click();
    await page.getByTestId('auth-panel').waitFor({ state: 'visible' });
  });

  it('submits the sign-in form to the API and says what went wrong in plain words, no code', async () => {
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
    expect(await error.textContent()).toBe('The e-mail address or password is not right.');
    expect(await error.textContent()).not.toMatch(/UNAUTHORIZED|\b[A-Z]{3,}_[A-Z_]+\b/);
    expect(await page.getByTestId('user-panel').isHidden()).toBe(true);
    expect(await page.evaluate(readTokens)).toBeNull();
  });
});
