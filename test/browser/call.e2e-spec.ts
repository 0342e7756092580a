import { authHeader } from '../support/auth';
import { appAndTwoPeople, pollUntil } from '../support/browser';
import {
  doctorAndPatient,
  inviteAndAcceptOnPage,
  screenshotBoth,
  signInBoth,
  waitCallStatus,
  waitForMediaFlow,
  waitForVideo,
} from '../support/demo-driver';

interface CallView {
  status: string;
  durationSeconds: number | null;
  quality: { reports: number; rttMs?: { avg: number } } | null;
}

// Issue scenario 3: a direct call from the demo page. The patient has accepted the doctor's
// room invitation (their care relationship); the doctor picks the patient by name and calls,
// the patient's app shows the doctor's name in the incoming-call dialog and accepts, both join the call's room and see each other; the
// pages report call quality from getStats() (call:stats); the doctor hangs up, both pages show
// the call ended, and the call's record holds its duration and quality summary.
describe('browser: a direct video call', () => {
  const on = appAndTwoPeople();

  it('rings the patient, connects both with video, and ends with a duration and quality', async () => {
    const people = await doctorAndPatient(on.t);
    await signInBoth(on.t, on.pages, people);
    // A doctor rings a patient they treat: the patient accepted the doctor's invitation.
    await inviteAndAcceptOnPage(on.t, on.pages, people);

    await on.pages.doctor.getByTestId('call-callee').selectOption({ label: 'Ayşe Yılmaz' });
    await on.pages.doctor.getByTestId('call-start').click();
    await waitCallStatus(on.pages.doctor, 'ringing');
    const incoming = on.pages.patient.getByTestId('incoming-call');
    await incoming.waitFor({ state: 'visible' });
    // The dialog names the caller, never by id.
    const from = await on.pages.patient.getByTestId('incoming-call-from').textContent();
    expect(from).toBe('Dr. Elif Kaya is calling you');
    expect(from).not.toContain(people.doctor.id);
    await on.pages.patient.getByTestId('call-accept').click();
    await Promise.all([
      waitCallStatus(on.pages.doctor, 'active'),
      waitCallStatus(on.pages.patient, 'active'),
    ]);
    await Promise.all([
      waitForVideo(on.pages.doctor, 'the caller'),
      waitForVideo(on.pages.patient, 'the callee'),
    ]);
    // Audio and video flow both ways (inbound-rtp bytes of each kind keep growing on each
    // side): the SDK's sessions carry the media in Chromium, not only the negotiation.
    const flows = await Promise.all([
      waitForMediaFlow(on.pages.doctor, 'the caller'),
      waitForMediaFlow(on.pages.patient, 'the callee'),
    ]);
    for (const { after } of flows) {
      expect(after.audioBytes).toBeGreaterThan(0);
      expect(after.videoBytes).toBeGreaterThan(0);
    }
    await screenshotBoth(on.pages, 'call');

    const callId = await on.pages.doctor.evaluate<string>('window.hekimDemo.state.session.callId');
    const readCall = async (): Promise<CallView> =>
      (
        await on.t
          .http()
          .get(`/api/v1/calls/${callId}`)
          .set(authHeader(people.doctor.accessToken))
          .expect(200)
      ).body.call as CallView;
    // Both pages send call:stats every few seconds once connected.
    await pollUntil(
      'quality reports from both pages',
      readCall,
      (call) => (call.quality?.reports ?? 0) >= 2,
    );

    await on.pages.doctor.getByTestId('call-hangup').click();
    await Promise.all([
      waitCallStatus(on.pages.doctor, 'ended'),
      waitCallStatus(on.pages.patient, 'ended'),
    ]);
    await on.pages.patient.locator('[data-testid="remote-video"]').waitFor({ state: 'detached' });
    // Both land on the end-of-call screen with the call's duration, no stale video tile.
    for (const page of [on.pages.doctor, on.pages.patient]) {
      await page.getByTestId('ended-panel').waitFor({ state: 'visible' });
      expect(await page.getByTestId('ended-duration').textContent()).toMatch(/^Duration: \d/);
      expect(await page.getByTestId('media-panel').isHidden()).toBe(true);
    }

    const call = await readCall();
    expect(call.status).toBe('ended');
    expect(call.durationSeconds).toEqual(expect.any(Number));
    expect(call.durationSeconds).toBeGreaterThanOrEqual(1);
    expect(call.quality?.reports).toBeGreaterThanOrEqual(2);
    expect(call.quality?.rttMs?.avg).toEqual(expect.any(Number));
  });
});
