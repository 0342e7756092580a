import { readFile } from 'node:fs/promises';
import { Role } from '../../src/common/auth/role';
import { createUser, login } from '../support/auth';
import { launchBrowser, type BrowserPeer } from '../support/browser';
import { startCoturn, type Coturn } from '../support/coturn';
import { joinRoomOnPage, signInOnPage, waitForVideo, waitRoomStatus } from '../support/demo-driver';
import { createTestApp, type TestApp } from '../support/test-app';

// Issue scenario 2: the consultation of scenario 1, relay-only (iceTransportPolicy 'relay'),
// through a coturn of the test's own on a free port with a random secret. The credentials
// are the ones Hekim issued in the room:join answer; coturn logs the allocations.
describe('browser: a relay-only consultation through coturn', () => {
  let turn: Coturn;
  let t: TestApp;
  let doctorBrowser: BrowserPeer;
  let patientBrowser: BrowserPeer;
  let base: string;

  beforeAll(async () => {
    turn = await startCoturn();
    t = await createTestApp({
      listen: true,
      env: { TURN_URLS: `turn:127.0.0.1:${turn.port}?transport=udp`, TURN_SECRET: turn.secret },
    });
    const address = t.app.getHttpServer().address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');
    base = `http://127.0.0.1:${address.port}`;
    [doctorBrowser, patientBrowser] = await Promise.all([launchBrowser(), launchBrowser()]);
  });
  afterAll(async () => {
    await Promise.all([doctorBrowser?.close(), patientBrowser?.close()]);
    await t?.close();
    await turn?.stop();
  });

  it('connects both sides through a TURN relay with the credentials Hekim issued', async () => {
    const doctor = await createUser(t, { role: Role.Doctor, displayName: 'Dr. Elif Kaya' });
    const patient = await createUser(t, { role: Role.Patient, displayName: 'Ayşe Yılmaz' });
    const { accessToken } = await login(t, doctor.email, doctor.password);
    const room = await t
      .http()
      .post('/api/v1/rooms')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ name: 'Relay', type: 'consultation', memberIds: [patient.id], waitingRoom: true })
      .expect(201);
    const roomId = (room.body.room ?? room.body).id as string;

    const d = doctorBrowser.page;
    const p = patientBrowser.page;
    await Promise.all([
      signInOnPage(d, base, doctor.email, doctor.password, { relay: true }),
      signInOnPage(p, base, patient.email, patient.password, { relay: true }),
    ]);
    await joinRoomOnPage(d, roomId);
    await waitRoomStatus(d, 'joined');
    await joinRoomOnPage(p, roomId);
    await waitRoomStatus(p, 'waiting');
    const knock = d.locator(`[data-testid="waiting-item"][data-user-id="${patient.id}"]`);
    await knock.getByTestId('admit').click();
    await waitRoomStatus(p, 'joined');

    const readings = await Promise.all([
      waitForVideo(d, 'the doctor (relay)'),
      waitForVideo(p, 'the patient (relay)'),
    ]);
    for (const reading of readings) {
      // The other side's relay address may show as prflx when its check beat its candidate.
      expect(reading.localCandidateType).toBe('relay');
      expect(['relay', 'prflx']).toContain(reading.remoteCandidateType);
    }

    // TURN REST usernames are `<expiry>:<userId>`: each side allocated with its own.
    const log = await readFile(turn.logFile, 'utf8');
    for (const user of [doctor, patient]) {
      expect(log).toMatch(new RegExp(`user <\\d+:${user.id}>.*ALLOCATE processed, success`));
    }
  });
});
