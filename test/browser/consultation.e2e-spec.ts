import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Role } from '../../src/common/auth/role';
import { createUser, login } from '../support/auth';
import { launchBrowser, TEST_OUTPUT, type BrowserPeer } from '../support/browser';
import {
  joinRoomOnPage,
  readMedia,
  signInOnPage,
  waitForVideo,
  waitRoomStatus,
} from '../support/demo-driver';
import { createTestApp, type TestApp } from '../support/test-app';

// Issue scenario 1: a doctor and a patient, each in their own Chromium, meet in a consultation
// room through the waiting room, using only the demo page, Hekim's REST API and its
// signaling gateway. Host candidates (no STUN/TURN configured).
describe('browser: a consultation through the waiting room', () => {
  let t: TestApp;
  let doctorPage: BrowserPeer;
  let patientPage: BrowserPeer;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const address = t.app.getHttpServer().address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');
    base = `http://127.0.0.1:${address.port}`;
    [doctorPage, patientPage] = await Promise.all([launchBrowser(), launchBrowser()]);
  });
  afterAll(async () => {
    await Promise.all([doctorPage?.close(), patientPage?.close()]);
    await t?.close();
  });

  it('admits the patient, both decode video from each other, and the patient leaves', async () => {
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

    const d = doctorPage.page;
    const p = patientPage.page;
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

    const [atDoctor, atPatient] = await Promise.all([
      waitForVideo(d, 'the doctor'),
      waitForVideo(p, 'the patient'),
    ]);
    for (const reading of [atDoctor, atPatient]) {
      expect(reading).toMatchObject({ localCandidateType: 'host', remoteCandidateType: 'host' });
    }
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
});
