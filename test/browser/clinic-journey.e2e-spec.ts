import { authHeader, signIn } from '../support/auth';
import { seriousViolations } from '../support/axe';
import { appAndTwoPeople, pollUntil } from '../support/browser';
import {
  baseUrl,
  doctorAndPatient,
  leaveToHome,
  passConsentStep,
  passPrecheck,
  screenshotBoth,
  signInOnPage,
  waitForMediaFlow,
  waitForVideo,
  waitRoomStatus,
  waitSignaling,
} from '../support/demo-driver';
import { SmtpSink } from '../support/smtp-sink';
import { WebhookReceiver } from '../support/webhook-receiver';
import { Role } from '../../src/common/auth/role';

// The clinic's whole journey (docs/appointments.md): a doctor books for someone without an
// account; the invitation e-mail arrives at a real SMTP server; the invitee opens its link in
// Chromium, consents, passes the pre-call check, checks in, sees their place in the queue and is let in by "Next
// patient"; both see each other; the doctor completes the appointment; the hospital's system
// receives the signed webhooks and verifies them.
describe('browser: from booking by link to a completed appointment', () => {
  const smtp = new SmtpSink();
  const ehr = new WebhookReceiver();
  beforeAll(async () => {
    await smtp.start();
    await ehr.start();
  });
  afterAll(async () => {
    await smtp.stop();
    await ehr.stop();
  });
  const on = appAndTwoPeople(() => ({
    NOTIFY_RELAY_ENABLED: 'true',
    NOTIFY_POLL_INTERVAL_MS: '50',
    SMTP_URL: smtp.url,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
  }));

  it('walks book → mail → link → consent → check-in → queue → admitted → video → completed → webhook', async () => {
    const { t, pages } = on;
    const base = baseUrl(t);
    const admin = await signIn(t, Role.Admin);
    const endpoint = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(authHeader(admin.accessToken))
      .send({
        url: `${ehr.url}/ehr`,
        events: ['appointment.*', 'invitation.redeemed', 'participant.admitted'],
      })
      .expect(201);
    const secret = (endpoint.body as { secret: string }).secret;

    const { doctor } = await doctorAndPatient(t);
    await signInOnPage(pages.doctor, base, doctor.email, doctor.password);

    // The doctor books five minutes from now for a patient who has no account.
    const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 5 * 60_000);
    const booked = await t
      .http()
      .post('/api/v1/appointments')
      .set(authHeader(doctor.accessToken))
      .send({
        clinicianId: doctor.id,
        invitee: { name: 'Zeynep Arslan', email: 'zeynep.arslan@example.org', locale: 'en' },
        start: start.toISOString(),
        end: new Date(start.getTime() + 20 * 60_000).toISOString(),
        reason: 'Blood pressure follow-up',
      })
      .expect(201);
    const appointmentId = (booked.body as { id: string }).id;

    // The invitation arrives by e-mail, with the appointment as a calendar event.
    const mail = await pollUntil(
      'the invitation e-mail',
      () => Promise.resolve(smtp.mails.find((m) => m.to.includes('zeynep.arslan@example.org'))),
      (m) => m !== undefined,
    );
    const link = /https?:\/\/\S+[?&]invitation=[A-Za-z0-9_-]+/.exec(mail?.text ?? '')?.[0];
    expect(link).toBeDefined();
    expect(mail?.parsed.attachments.some((a) => a.contentType.startsWith('text/calendar'))).toBe(
      true,
    );
    const url = new URL(link ?? '');
    expect(url.pathname).toMatch(/^\/demo\/?$/);

    // The invitee opens the link: no account, no password.
    const guest = pages.patient;
    await guest.goto(`${base}/demo`);
    await guest.evaluate('sessionStorage.clear()');
    await guest.goto(`${base}${url.pathname}${url.search}`);
    await guest.getByTestId('guest-panel').waitFor({ state: 'visible' });
    expect(await guest.getByTestId('guest-welcome').textContent()).toContain('Zeynep Arslan');
    // The token left the address bar once read.
    expect(guest.url()).not.toContain('invitation=');
    await waitSignaling(guest, 'connected');
    // The arrival screen names the guest and asks for consent: accessible as it is.
    const violations = await seriousViolations(guest, 'guest arrival');
    expect(await passConsentStep(guest)).toBe('granted');

    await guest.getByTestId('guest-enter').click();
    expect(await passPrecheck(guest)).toBe('passed');
    await waitRoomStatus(guest, 'waiting');
    await guest.locator('[data-testid="queue-position"][data-position="1"]').waitFor();
    expect(await guest.getByTestId('queue-position').textContent()).toContain('You are next');
    violations.push(...(await seriousViolations(guest, 'guest waiting')));
    expect(violations).toEqual([]);

    // The doctor's queue shows her by name; "Next patient" lets her in.
    const queued = pages.doctor.locator(
      `[data-testid="queue-item"][data-appointment-id="${appointmentId}"]`,
    );
    await queued.waitFor();
    expect(await queued.textContent()).toContain('Zeynep Arslan');
    await pages.doctor.getByTestId('queue-next').click();
    await waitRoomStatus(guest, 'joined');
    await Promise.all([
      waitForVideo(pages.doctor, 'the doctor'),
      waitForVideo(guest, 'the invitee'),
    ]);
    // Audio and video flow both ways (inbound-rtp bytes of each kind keep growing on each
    // side): the SDK's sessions carry the media in Chromium, not only the negotiation.
    const flows = await Promise.all([
      waitForMediaFlow(pages.doctor, 'the doctor'),
      waitForMediaFlow(guest, 'the invitee'),
    ]);
    for (const { after } of flows) {
      expect(after.audioBytes).toBeGreaterThan(0);
      expect(after.videoBytes).toBeGreaterThan(0);
    }
    await screenshotBoth(pages, 'clinic-journey');

    await leaveToHome(pages.doctor);
    await pages.doctor.getByTestId('appointments-refresh').click();
    const item = `[data-testid="appointment-item"][data-appointment-id="${appointmentId}"]`;
    await pages.doctor
      .locator(`${item}[data-status="in_consultation"]`)
      .getByTestId('appointment-complete')
      .click();
    await pages.doctor.locator(`${item}[data-status="completed"]`).waitFor();

    // The hospital's system received the story, signed.
    const events = await pollUntil(
      'the completed appointment at the receiver',
      () => Promise.resolve(ehr.verified('/ehr', secret)),
      (got) => got.some((e) => e.type === 'appointment.completed'),
    );
    const types = events
      .filter((e) => e.data.appointmentId === appointmentId || e.data.roomId !== undefined)
      .map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'appointment.booked',
        'invitation.redeemed',
        'appointment.checked_in',
        'participant.admitted',
        'appointment.completed',
      ]),
    );
    expect(JSON.stringify(events)).not.toContain('Blood pressure');
  });
});
