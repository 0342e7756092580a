import type { Page } from 'playwright-core';
import { authHeader } from '../support/auth';
import { launchPeople, pollUntil, type BrowserPeer, type People } from '../support/browser';
import {
  doctorAndPatient,
  screenshotBoth,
  signInBoth,
  waitCallStatus,
  waitForVideo,
} from '../support/demo-driver';
import { createTestApp, type TestApp } from '../support/test-app';

interface CallView {
  status: string;
  durationSeconds: number | null;
  quality: { reports: number; rttMs?: { avg: number } } | null;
}

// Issue scenario 3: a direct call from the demo page. The doctor calls the patient by user
// id, the patient's page rings and accepts, both join the call's room and see each other; the
// pages report call quality from getStats() (call:stats); the doctor hangs up, both pages show
// the call ended, and the call's record holds its duration and quality summary.
describe('browser: a direct video call', () => {
  let t: TestApp;
  let browsers: People | undefined;
  let doctorBrowser: BrowserPeer;
  let patientBrowser: BrowserPeer;
  let pages: { doctor: Page; patient: Page };

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    browsers = await launchPeople(2);
    [doctorBrowser, patientBrowser] = browsers.people;
    pages = { doctor: doctorBrowser.page, patient: patientBrowser.page };
  });
  afterAll(async () => {
    await browsers?.close();
    await t?.close();
  });

  it('rings the patient, connects both with video, and ends with a duration and quality', async () => {
    const people = await doctorAndPatient(t);
    await signInBoth(t, pages, people);

    await pages.doctor.getByTestId('call-user-id').fill(people.patient.id);
    await pages.doctor.getByTestId('call-start').click();
    await waitCallStatus(pages.doctor, 'ringing');
    const incoming = pages.patient.getByTestId('incoming-call');
    await incoming.waitFor({ state: 'visible' });
    // call:incoming names the caller by user id.
    expect(await pages.patient.getByTestId('incoming-call-from').textContent()).toContain(
      people.doctor.id,
    );
    await pages.patient.getByTestId('call-accept').click();
    await Promise.all([
      waitCallStatus(pages.doctor, 'active'),
      waitCallStatus(pages.patient, 'active'),
    ]);
    await Promise.all([
      waitForVideo(pages.doctor, 'the caller'),
      waitForVideo(pages.patient, 'the callee'),
    ]);
    await screenshotBoth(pages, 'call');

    const callId = await pages.doctor.evaluate<string>('window.hekimDemo.state.session.callId');
    const readCall = async (): Promise<CallView> =>
      (
        await t
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

    await pages.doctor.getByTestId('call-hangup').click();
    await Promise.all([
      waitCallStatus(pages.doctor, 'ended'),
      waitCallStatus(pages.patient, 'ended'),
    ]);
    await pages.patient.locator('[data-testid="remote-video"]').waitFor({ state: 'detached' });

    const call = await readCall();
    expect(call.status).toBe('ended');
    expect(call.durationSeconds).toEqual(expect.any(Number));
    expect(call.durationSeconds).toBeGreaterThanOrEqual(1);
    expect(call.quality?.reports).toBeGreaterThanOrEqual(2);
    expect(call.quality?.rttMs?.avg).toEqual(expect.any(Number));
  });
});
