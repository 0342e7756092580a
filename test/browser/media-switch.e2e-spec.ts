import type { Page } from 'playwright-core';
import { appAndTwoPeople, pollUntil } from '../support/browser';
import { meetInConsultation, screenshotBoth, waitForMediaFlow } from '../support/demo-driver';

// Screen share and camera switch in a consultation, in real Chromium: the patient's page swaps
// its outgoing video track through the SDK (ConsultationSession.replaceTrack, no
// renegotiation) and the doctor's page must receive the new picture: its inbound video keeps
// growing after each switch and the frame size follows the source (Chromium's fake camera is
// 640×480, 4:3; the fake screen is the window's size, 1280×720 here, 16:9). Headless Chromium
// answers getDisplayMedia with that screen under --use-fake-ui-for-media-stream;
// `device-count=3` gives it more fake cameras: fake_device_1 is a Y16 depth camera (nothing a
// video encoder sends), fake_device_2 an MJPEG one, which the switch uses.
interface Sent {
  label: string | undefined;
  width: number | undefined;
}
interface Received {
  frameWidth: number | undefined;
  frameHeight: number | undefined;
}

// The patient's outgoing video track (its label and width) on the SDK's peer connection.
const readSent = (page: Page): Promise<Sent> =>
  page.evaluate<Sent>(`(() => {
    const pc = window.hekimDemo.pc;
    const sender = pc && pc.getSenders().find((s) => s.track && s.track.kind === 'video');
    const track = sender && sender.track;
    return { label: track ? track.label : undefined, width: track ? track.getSettings().width : undefined };
  })()`);

// The size of the video frames the doctor's page decodes now.
const readReceived = (page: Page): Promise<Received> =>
  page.evaluate<Received>(`(async () => {
    const r = { frameWidth: undefined, frameHeight: undefined };
    (await window.hekimDemo.pc.getStats()).forEach((e) => {
      if (e.type === 'inbound-rtp' && e.kind === 'video') {
        r.frameWidth = e.frameWidth;
        r.frameHeight = e.frameHeight;
      }
    });
    return r;
  })()`);

// Wide (16:9, the screen) or not (4:3, a camera), by the frames the doctor decodes. The sender
// may scale down under load, but keeps the aspect ratio.
const wide = (r: Received): boolean =>
  r.frameWidth !== undefined && r.frameHeight !== undefined && r.frameWidth / r.frameHeight > 1.5;
const narrow = (r: Received): boolean =>
  r.frameWidth !== undefined && r.frameHeight !== undefined && r.frameWidth / r.frameHeight < 1.5;

// When media stops: each side's connection, what the patient sends (tracks and outbound-rtp)
// and the tail of both event logs.
async function diagnose(pages: { doctor: Page; patient: Page }): Promise<unknown> {
  const read = (page: Page) =>
    page.evaluate(`(async () => {
      const pc = window.hekimDemo.pc;
      const rtp = [];
      (await pc.getStats()).forEach((e) => {
        if (e.type === 'outbound-rtp' || e.type === 'inbound-rtp')
          rtp.push([e.type, e.kind, e.bytesSent ?? e.bytesReceived, e.active]);
      });
      return {
        state: pc.connectionState,
        signaling: pc.signalingState,
        senders: pc.getSenders().map((s) => s.track && [s.track.kind, s.track.label, s.track.readyState, s.track.enabled]),
        directions: pc.getTransceivers().map((t) => [t.direction, t.currentDirection]),
        rtp,
        log: document.querySelector('[data-testid="event-log"]').innerText.split(String.fromCharCode(10)).slice(0, 15),
      };
    })()`);
  return { doctor: await read(pages.doctor), patient: await read(pages.patient) };
}

describe('browser: screen share and camera switch reach the other side', () => {
  const on = appAndTwoPeople(undefined, { viewport: { width: 1280, height: 720 } }, [
    '--use-fake-device-for-media-stream=device-count=3',
  ]);

  it('sends the shared screen, then the camera again, then another camera', async () => {
    const { pages } = on;
    const { doctor, patient } = pages;
    await meetInConsultation(on.t, pages);
    expect((await readSent(patient)).label).toBe('fake_device_0');
    await pollUntil('the doctor to decode the 4:3 camera', () => readReceived(doctor), narrow);
    const pcBefore = await doctor.evaluate<number>('window.hekimDemo.peerConnections.length');

    // ---- Screen share ----
    await patient.getByTestId('share-screen').click();
    await pollUntil(
      'the patient to send the screen',
      () => readSent(patient),
      (s) => s.label?.startsWith('screen:') === true && s.width === 1280,
    );
    expect(await patient.getByTestId('share-screen').getAttribute('aria-pressed')).toBe('true');
    await pollUntil('the doctor to decode the 16:9 screen', () => readReceived(doctor), wide);
    await waitForMediaFlow(doctor, 'the doctor, receiving the screen');
    await screenshotBoth(pages, 'screen-share');

    // ---- Back to the camera ----
    await patient.getByTestId('share-screen').click();
    await pollUntil(
      'the patient to send the camera again',
      () => readSent(patient),
      (s) => s.label === 'fake_device_0',
    );
    await pollUntil('the doctor to decode the camera again', () => readReceived(doctor), narrow);
    await waitForMediaFlow(doctor, 'the doctor, receiving the camera again');

    // ---- Camera switch, from the devices panel ----
    await patient.getByTestId('devices-toggle').click();
    const cameras = patient.getByTestId('camera-select').locator('option');
    await pollUntil(
      'the cameras to be listed',
      () => cameras.count(),
      (n) => n >= 3,
    );
    const other = await cameras.filter({ hasText: 'fake_device_2' }).getAttribute('value');
    await patient.getByTestId('camera-select').selectOption(other ?? '');
    await pollUntil(
      'the patient to send the other camera',
      () => readSent(patient),
      (s) => s.label === 'fake_device_2',
    );
    const { before, after } = await waitForMediaFlow(doctor, 'the doctor, after the switch').catch(
      async (error: unknown) => {
        throw new Error(
          `${(error as Error).message}\n${JSON.stringify(await diagnose(pages), null, 1)}`,
          { cause: error },
        );
      },
    );
    expect(after.framesDecoded).toBeGreaterThan(before.framesDecoded);
    // Swapped in place: no renegotiation, no new peer connection on either side.
    expect(await doctor.evaluate<number>('window.hekimDemo.peerConnections.length')).toBe(pcBefore);
  });
});
