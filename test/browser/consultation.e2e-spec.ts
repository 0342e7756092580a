import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Role } from '../../src/common/auth/role';
import { createUser, login } from '../support/auth';
import { launchBrowser, pollUntil, TEST_OUTPUT, type BrowserPeer } from '../support/browser';
import {
  joinRoomOnPage,
  readMedia,
  signInOnPage,
  waitForVideo,
  waitRoomStatus,
} from '../support/demo-driver';
import { createTestApp, type TestApp } from '../support/test-app';

// Issue scenarios 1 and 4: a doctor and a patient, each in their own Chromium, meet in a
// consultation room through the waiting room using only the demo page, Hekim's REST API and
// its signaling gateway (host candidates: no STUN/TURN configured); then the patient's page
// is reloaded mid-consultation and gets back in without the session ending.
describe('browser: a consultation through the waiting room', () => {
  let t: TestApp;
  let doctorBrowser: BrowserPeer;
  let patientBrowser: BrowserPeer;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const address = t.app.getHttpServer().address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');
    base = `http://127.0.0.1:${address.port}`;
    [doctorBrowser, patientBrowser] = await Promise.all([launchBrowser(), launchBrowser()]);
  });
  afterAll(async () => {
    await Promise.all([doctorBrowser?.close(), patientBrowser?.close()]);
    await t?.close();
  });

  // A doctor, a patient and a consultation room with a waiting room; both signed in on their
  // pages, the patient admitted, and video decoded on both sides.
  async function meet(): Promise<{ d: Page; p: Page; roomId: string; doctorToken: string }> {
    const doctor = await createUser(t, { role: Role.Doctor, displayName: 'Dr. Elif Kaya' });
    const patient = await createUser(t, { role: Role.Patient, displayName: 'Ayşe Yılmaz' });
    const { accessToken } = await login(t, doctor.email, doctor.password);
    const room = await t
      .http()
      .post('/api/v1/rooms')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ name: 'Follow-up', type: 'consultation', memberIds: [patient.id], waitingRoom: true })
      .expect(201);
    const roomId = (room.body.room ?? room.body).id as string;

    const d = doctorBrowser.page;
    const p = patientBrowser.page;
    await Promise.all([
      signInOnPage(d, base, doctor.email, doctor.password),
      signInOnPage(p, base, patient.email, patient.password),
    ]);
    await joinRoomOnPage(d, roomId);
    await waitRoomStatus(d, 'joined');
    await joinRoomOnPage(p, roomId);
    await waitRoomStatus(p, 'waiting');

    const knock = d.locator(`[data-testid="waiting-item"][data-user-id="${patient.id}"]`);
    await knock.getByTestId('admit').click();
    await waitRoomStatus(p, 'joined');
    const readings = await Promise.all([
      waitForVideo(d, 'the doctor'),
      waitForVideo(p, 'the patient'),
    ]);
    for (const reading of readings) {
      // prflx: the other side's host address, learned from its connectivity check before its
      // trickled candidate arrived. No srflx or relay: nothing but host addresses are in use.
      expect(reading.localCandidateType).toBe('host');
      expect(['host', 'prflx']).toContain(reading.remoteCandidateType);
    }
    return { d, p, roomId, doctorToken: accessToken };
  }

  it('admits the patient, both decode video from each other, and the patient leaves', async () => {
    const { d, p } = await meet();
    expect(await d.getByTestId('connection-state').textContent()).toBe('connected');

    await mkdir(join(TEST_OUTPUT, 'browser'), { recursive: true });
    await Promise.all([
      d.screenshot({ path: join(TEST_OUTPUT, 'browser', 'consultation-doctor.png') }),
      p.screenshot({ path: join(TEST_OUTPUT, 'browser', 'consultation-patient.png') }),
    ]);

    await p.getByTestId('leave').click();
    await waitRoomStatus(p, 'left');
    await d.locator('[data-testid="remote-video"]').waitFor({ state: 'detached' });
    expect((await readMedia(d)).connectionState).toBeUndefined();
  });

  it('gets a reloaded patient page back into the consultation without ending the session', async () => {
    const { d, p, roomId, doctorToken } = await meet();
    const sessionsOfRoom = async () =>
      (
        await t
          .http()
          .get(`/api/v1/sessions?roomId=${roomId}`)
          .set('Authorization', `Bearer ${doctorToken}`)
          .expect(200)
      ).body.items as { id: string; status: string }[];
    const [before] = await sessionsOfRoom();
    expect(before).toMatchObject({ status: 'active' });

    // The reload drops the signaling socket and every peer connection of the patient; the
    // page signs itself back in from sessionStorage and joins again within the grace.
    await d.evaluate('window.__pcBeforeReload = window.hekimDemo.pc');
    await p.reload();
    await waitRoomStatus(p, 'joined');
    // The doctor's page sees an offer from a new peer connection and replaces its own.
    await pollUntil(
      'the doctor to replace its connection to the patient',
      () =>
        d.evaluate<boolean>(
          'window.hekimDemo.pc !== undefined && window.hekimDemo.pc !== window.__pcBeforeReload',
        ),
      (replaced) => replaced,
    );
    await Promise.all([
      waitForVideo(p, 'the reloaded patient'),
      waitForVideo(d, 'the doctor, from the reloaded patient'),
    ]);

    const after = await sessionsOfRoom();
    expect(after).toEqual([expect.objectContaining({ id: before.id, status: 'active' })]);
  });
});
