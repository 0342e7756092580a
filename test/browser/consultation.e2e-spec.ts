import { authHeader } from '../support/auth';
import { appAndTwoPeople, pollUntil } from '../support/browser';
import {
  type Consultation,
  meetInConsultation,
  readMedia,
  screenshotBoth,
  waitForMediaFlow,
  waitForVideo,
  waitRoomStatus,
  waitSignaling,
} from '../support/demo-driver';

// Issue scenarios 1 and 4: a doctor and a patient, each in their own Chromium, meet in a
// consultation room through the waiting room using only the demo page, Hekim's REST API and
// its signaling gateway (host candidates: no STUN/TURN configured); then the patient's page
// loses its signaling connection (a network drop, or a reload) mid-consultation and gets
// back in within the reconnect grace without the session ending.
describe('browser: a consultation through the waiting room', () => {
  const on = appAndTwoPeople();

  async function meet(): Promise<Consultation> {
    const met = await meetInConsultation(on.t, on.pages);
    for (const reading of met.readings) {
      // prflx: the other side's host address, learned from its connectivity check before its
      // trickled candidate arrived. No srflx or relay: nothing but host addresses are in use.
      expect(reading.localCandidateType).toBe('host');
      expect(['host', 'prflx']).toContain(reading.remoteCandidateType);
    }
    return met;
  }

  async function sessionsOfRoom(met: Consultation): Promise<{ id: string; status: string }[]> {
    const res = await on.t
      .http()
      .get(`/api/v1/sessions?roomId=${met.roomId}`)
      .set(authHeader(met.doctor.accessToken))
      .expect(200);
    return res.body.items as { id: string; status: string }[];
  }

  // Video flows both ways again, and audio and video keep arriving on both pages. After a
  // reload the doctor's page has seen an offer from the patient's new peer connection and
  // replaced its own; after a network drop within the grace the SDK resumes the same session
  // and keeps a connection that held up (media does not go through Hekim), restarting ICE only
  // if it did not.
  async function videoAgain(expectReplaced: boolean): Promise<void> {
    if (expectReplaced) {
      await pollUntil(
        'the doctor to replace its connection to the patient',
        () => on.pages.doctor.evaluate<boolean>('window.hekimDemo.pc !== window.__pcBefore'),
        (replaced) => replaced,
      );
    }
    await Promise.all([
      waitForVideo(on.pages.patient, 'the patient, back'),
      waitForVideo(on.pages.doctor, 'the doctor, from the patient back'),
    ]);
    await Promise.all([
      waitForMediaFlow(on.pages.patient, 'the patient, back'),
      waitForMediaFlow(on.pages.doctor, 'the doctor, from the patient back'),
    ]);
  }

  it('admits the patient, both decode video from each other, and the patient leaves', async () => {
    await meet();
    expect(await on.pages.doctor.getByTestId('connection-state').textContent()).toBe('connected');
    await screenshotBoth(on.pages, 'consultation');

    await on.pages.patient.getByTestId('leave').click();
    await waitRoomStatus(on.pages.patient, 'left');
    await on.pages.doctor.locator('[data-testid="remote-video"]').waitFor({ state: 'detached' });
    expect((await readMedia(on.pages.doctor)).connectionState).toBeUndefined();
  });

  it('gets the patient back in after a network drop and after a reload, in the same session', async () => {
    const met = await meet();
    const [before] = await sessionsOfRoom(met);
    expect(before).toMatchObject({ status: 'active' });
    const sameSession = [expect.objectContaining({ id: before.id, status: 'active' })];

    // The network goes away for a moment: the page's signaling transport drops and its
    // reconnection attempts fail until the network is back (offline emulation blocks new
    // connections, not the open WebSocket, hence the explicit drop).
    await on.pages.doctor.evaluate('window.__pcBefore = window.hekimDemo.pc');
    await on.second.context.setOffline(true);
    await on.pages.patient.evaluate('window.hekimDemo.dropSignaling()');
    // At least one reconnection attempt fails while offline.
    await waitSignaling(on.pages.patient, 'failed', 15_000);
    // People see a banner in plain words, not the transport's error.
    const banner = on.pages.patient.getByTestId('connection-banner');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.textContent()).toMatch(/^Connection lost\. Reconnecting/);
    await on.second.context.setOffline(false);
    await waitSignaling(on.pages.patient, 'connected', 15_000);
    await waitRoomStatus(on.pages.patient, 'joined');
    await videoAgain(false);
    expect(await sessionsOfRoom(met)).toEqual(sameSession);

    // A reload drops the signaling socket and every peer connection of the patient; the page
    // signs itself back in from sessionStorage and joins again within the grace.
    await on.pages.doctor.evaluate('window.__pcBefore = window.hekimDemo.pc');
    await on.pages.patient.reload();
    await waitRoomStatus(on.pages.patient, 'joined');
    await videoAgain(true);
    expect(await sessionsOfRoom(met)).toEqual(sameSession);
  });
});
