import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { seriousViolations } from '../support/axe';
import {
  appAndTwoPeople,
  DESKTOP,
  PHONE,
  pollUntil,
  TEST_OUTPUT,
  type ViewportOptions,
} from '../support/browser';
import {
  baseUrl,
  bookFirstSlotOnPage,
  chatSendOccluders,
  doctorAndPatient,
  leaveToHome,
  passConsentStep,
  passPrecheck,
  signInOnPage,
  waitCallStatus,
  waitForVideo,
  waitRoomStatus,
  waitSignaling,
} from '../support/demo-driver';

// Every screen of the consultation app (docs/demo.md), walked by a patient and a doctor in real
// Chromium, on a desktop window and on a phone's: sign-in (by keyboard alone), consent per
// purpose, the patient's home with a booked appointment, the pre-call check, the waiting screen
// with the queue position, the doctor's day, the call screen (names and roles on the tiles,
// timer, quality level, the other side's muted microphone), the language switch, the end of
// the consultation, and the incoming-call dialog with the caller's name. On every screen:
// no serious or critical axe-core violation, and on the phone nothing wider than the screen.
// Screenshots land in test-output/browser/app-<viewport>-<screen>.png; `npm run
// docs:screenshots` copies them to docs/images/.
describe.each([
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as [string, ViewportOptions][])('browser: every screen of the app (%s)', (label, screen) => {
  // One long walk through every screen: longer than the browser project's 60 s default.
  jest.setTimeout(240_000);
  const on = appAndTwoPeople(undefined, screen);
  const violations: string[] = [];

  async function check(page: Page, name: string): Promise<void> {
    violations.push(...(await seriousViolations(page, name)));
    if (label === 'phone') {
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      if (overflow > 0) violations.push(`${name}: ${overflow}px wider than the phone's screen`);
    }
    await mkdir(join(TEST_OUTPUT, 'browser'), { recursive: true });
    await page.screenshot({ path: join(TEST_OUTPUT, 'browser', `app-${label}-${name}.png`) });
  }

  it('walks sign-in, consent, booking, pre-call check, waiting, call, end and an incoming call', async () => {
    const { t, pages } = on;
    const base = baseUrl(t);
    const people = await doctorAndPatient(t);
    const { doctor, patient } = pages;

    // ---- Sign-in, by keyboard alone ----
    await patient.goto(`${base}/demo`);
    await patient.evaluate('sessionStorage.clear(); localStorage.clear()');
    await patient.goto(`${base}/demo`);
    await patient.getByTestId('signin-email').waitFor();
    await check(patient, 'sign-in');
    for (let i = 0; i < 10; i++) {
      await patient.keyboard.press('Tab');
      if (
        await patient.evaluate<boolean>('document.activeElement?.dataset.testid === "signin-email"')
      )
        break;
    }
    await patient.keyboard.type(people.patient.email);
    await patient.keyboard.press('Tab');
    await patient.keyboard.type(people.patient.password);
    await patient.keyboard.press('Enter');
    await patient.getByTestId('user-panel').waitFor({ state: 'visible' });
    await waitSignaling(patient, 'connected');
    expect(await patient.getByTestId('whoami').textContent()).toBe('Ayşe Yılmaz');

    // ---- Consent: one decision per purpose, each with its title and text ----
    const items = patient.getByTestId('consent-item');
    await items.first().waitFor();
    await check(patient, 'consent');
    for (const item of await items.all()) {
      const title = (await item.locator('h3').textContent()) ?? '';
      expect(title).not.toMatch(/^[a-z_]+$/); // a plain-language title, not the purpose's key
      expect(((await item.getByTestId('consent-text').textContent()) ?? '').length).toBeGreaterThan(
        20,
      );
      expect(await item.getByTestId('consent-agree').count()).toBe(1);
      expect(await item.getByTestId('consent-decline').count()).toBe(1);
    }
    expect(await passConsentStep(patient)).toBe('granted');

    // ---- The doctor's calendar open all day; the patient books by the doctor's name ----
    await signInOnPage(doctor, base, people.doctor.email, people.doctor.password);
    const { booked } = await bookFirstSlotOnPage(t, patient, people.doctor);
    expect(await booked.getByTestId('appointment-status').textContent()).toBe('Booked');
    await check(patient, 'patient-home');

    // ---- Pre-call check ----
    await booked.getByTestId('appointment-check-in').click();
    await patient.getByTestId('precheck-panel').waitFor({ state: 'visible' });
    await patient
      .locator('[data-testid="precheck-verdict"]:not([data-verdict="checking"])')
      .waitFor();
    for (const name of ['camera', 'microphone', 'connection']) {
      await patient
        .locator(`[data-testid="precheck-item"][data-check="${name}"][data-ok="true"]`)
        .waitFor();
    }
    await check(patient, 'precheck');
    expect(await passPrecheck(patient)).toBe('passed');

    // ---- Waiting screen: queue position and estimated wait ----
    await waitRoomStatus(patient, 'waiting');
    const position = patient.locator('[data-testid="queue-position"][data-position="1"]');
    await position.waitFor();
    expect(await position.textContent()).toBe('You are next. The doctor will let you in shortly.');
    await check(patient, 'waiting');

    // ---- The doctor's day: the queue by name, with the pre-call result ----
    const queued = doctor.getByTestId('queue-item').filter({ hasText: 'Ayşe Yılmaz' });
    await queued.locator('[data-testid="queue-precheck"][data-passed="true"]').waitFor();
    await check(doctor, 'doctor-day');

    // ---- Call screen ----
    await doctor.getByTestId('queue-next').click();
    await waitRoomStatus(patient, 'joined');
    await Promise.all([waitForVideo(doctor, 'the doctor'), waitForVideo(patient, 'the patient')]);
    const patientTile = doctor.locator('[data-testid="remote-tile"]');
    expect(await patientTile.getByTestId('tile-name').textContent()).toBe('Ayşe Yılmaz');
    expect(await patientTile.getByTestId('tile-role').textContent()).toBe('Patient');
    const doctorTile = patient.locator('[data-testid="remote-tile"]');
    expect(await doctorTile.getByTestId('tile-name').textContent()).toBe('Dr. Elif Kaya');
    expect(await doctorTile.getByTestId('tile-role').textContent()).toBe('Doctor');
    // The quality level, in words, once the first stats have been read.
    await patient.locator('[data-testid="quality"]:not([hidden])').waitFor();
    expect(await patient.getByTestId('quality').getAttribute('data-level')).toMatch(
      /^(good|fair|poor)$/,
    );
    expect(await patient.getByTestId('quality').textContent()).toMatch(
      /^Connection: (Good|Fair|Poor)$/,
    );
    // The timer runs.
    await pollUntil(
      'the call timer to pass 00:01',
      () => patient.getByTestId('call-timer').textContent(),
      (text) => text !== null && text >= '00:02',
    );
    // Device selection: another microphone, swapped in without leaving the call.
    await patient.getByTestId('devices-toggle').click();
    const microphones = patient.getByTestId('microphone-select').locator('option');
    await pollUntil(
      'the microphones to be listed',
      () => microphones.count(),
      (n) => n >= 2,
    );
    const other = (await microphones.nth(1).getAttribute('value')) ?? '';
    await patient.getByTestId('microphone-select').selectOption(other);
    await pollUntil(
      'the call to use the chosen microphone',
      () =>
        patient.evaluate<string | undefined>(
          `document.querySelector('[data-testid="local-video"]').srcObject?.getAudioTracks()[0]?.getSettings().deviceId`,
        ),
      (id) => id === other,
    );
    await patient.getByTestId('devices-toggle').click();
    // The patient mutes: the doctor's tile says so.
    await patient.getByTestId('mute-audio').click();
    expect(await patient.getByTestId('mute-audio').getAttribute('aria-pressed')).toBe('true');
    await patientTile.getByTestId('remote-muted').waitFor({ state: 'visible' });
    await check(patient, 'call');
    await check(doctor, 'call-doctor');
    // The chat's Send button is never under the self-view (on a phone the self-view sits in a
    // corner of the other person's picture), wherever the page is scrolled.
    expect(await chatSendOccluders(patient)).toEqual([]);
    await patient.getByTestId('mute-audio').click();
    await patientTile.getByTestId('remote-muted').waitFor({ state: 'hidden' });

    // ---- Turkish, switched in the header, and back ----
    await patient.getByTestId('language').selectOption('tr');
    expect(await patient.evaluate<string>('document.documentElement.lang')).toBe('tr');
    expect(await patient.getByTestId('leave').textContent()).toBe('Ayrıl');
    expect(await doctorTile.getByTestId('tile-role').textContent()).toBe('Hekim');
    await check(patient, 'call-tr');
    await patient.getByTestId('language').selectOption('en');

    // ---- End of the consultation: duration, nothing stale ----
    await patient.getByTestId('leave').click();
    await patient.getByTestId('ended-panel').waitFor({ state: 'visible' });
    expect(await patient.getByTestId('ended-title').textContent()).toBe(
      'The consultation has ended',
    );
    expect(await patient.getByTestId('ended-duration').textContent()).toMatch(/^Duration: \d/);
    expect(await patient.locator('[data-testid="remote-tile"]').count()).toBe(0);
    await doctor.locator('[data-testid="remote-tile"]').waitFor({ state: 'detached' });
    await check(patient, 'ended');
    await patient.getByTestId('ended-home').click();
    await patient.getByTestId('user-panel').waitFor({ state: 'visible' });

    // ---- Incoming call: the caller's name; Escape declines ----
    await leaveToHome(doctor);
    await doctor.getByTestId('rooms-refresh').click();
    await doctor
      .getByTestId('call-callee')
      .locator('option', { hasText: 'Ayşe Yılmaz' })
      .waitFor({ state: 'attached' });
    await doctor.getByTestId('call-callee').selectOption({ label: 'Ayşe Yılmaz' });
    await doctor.getByTestId('call-start').click();
    await waitCallStatus(doctor, 'ringing');
    const dialog = patient.getByTestId('incoming-call');
    await dialog.waitFor({ state: 'visible' });
    expect(await patient.getByTestId('incoming-call-from').textContent()).toBe(
      'Dr. Elif Kaya is calling you',
    );
    await check(patient, 'incoming-call');
    await patient.keyboard.press('Escape');
    await waitCallStatus(doctor, 'rejected');
    expect(await doctor.getByTestId('call-status').textContent()).toBe(
      'Ayşe Yılmaz declined the call.',
    );

    expect(violations).toEqual([]);
  });
});
