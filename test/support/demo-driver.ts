import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { Role } from '../../src/common/auth/role';
import { authHeader, createUser, login, type TestUser } from './auth';
import { pollUntil, TEST_OUTPUT } from './browser';
import type { TestApp } from './test-app';

// Drives the demo page the way a person would, through its data-testid handles.

// The base URL of a test app started with `listen: true`.
export function baseUrl(t: TestApp): string {
  const address = t.app.getHttpServer().address();
  if (typeof address !== 'object' || !address) throw new Error('the test app is not listening');
  return `http://127.0.0.1:${address.port}`;
}

// Signs in from a clean tab (no tokens or room left in sessionStorage by an earlier test).
// `relay` ticks "Relay only" (iceTransportPolicy 'relay') through the page's ?relay=1.
export async function signInOnPage(
  page: Page,
  base: string,
  email: string,
  password: string,
  options: { relay?: boolean } = {},
): Promise<void> {
  await page.goto(`${base}/demo`);
  await page.evaluate('sessionStorage.clear()');
  await page.goto(`${base}/demo${options.relay ? '?relay=1' : ''}`);
  await page.getByTestId('signin-email').fill(email);
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('user-panel').waitFor({ state: 'visible' });
  await waitSignaling(page, 'connected');
}

// The signaling connection's state (data-state: offline, connected, reconnecting, failed);
// people see a banner instead while it is not connected.
export async function waitSignaling(page: Page, state: string, timeout?: number): Promise<void> {
  await page
    .locator(`[data-testid="signaling-state"][data-state="${state}"]`)
    .waitFor({ state: 'attached', timeout });
}

// The pre-call check screen that patients and guests pass before a room: waits for its
// verdict and joins. Resolves with the verdict (passed or problems).
export async function passPrecheck(page: Page): Promise<string> {
  await page.getByTestId('precheck-panel').waitFor({ state: 'visible' });
  const verdict = page.locator('[data-testid="precheck-verdict"]:not([data-verdict="checking"])');
  await verdict.waitFor();
  const result = (await verdict.getAttribute('data-verdict')) ?? 'missing';
  await page.getByTestId('precheck-continue').click();
  return result;
}

// The consent step after sign-in: a patient reads each required purpose's text and answers
// "I agree" to each, one decision per purpose, when the server lists any. Resolves with the
// step's final status.
export async function passConsentStep(page: Page): Promise<string> {
  const panel = page.getByTestId('consent-panel');
  await page.locator('[data-testid="consent-panel"]:not([data-status="checking"])').waitFor({
    state: 'attached',
  });
  while ((await panel.getAttribute('data-status')) === 'required') {
    const agree = page.locator('[data-testid="consent-item"]:not([data-decision="granted"])');
    const before = await agree.count();
    if (before === 0) break;
    await agree.first().getByTestId('consent-agree').click();
    await page
      .locator('[data-testid="consent-item"]:not([data-decision="granted"])')
      .nth(before - 1)
      .waitFor({ state: 'detached' });
  }
  await page.locator('[data-testid="consent-panel"]:not([data-status="required"])').waitFor({
    state: 'attached',
  });
  return (await panel.getAttribute('data-status')) ?? 'missing';
}

// What the consent step must end in for a new patient: granted where the server has consent
// gating, skipped where GET /consents/me is 404.
export async function expectedConsentStatus(t: TestApp, accessToken: string): Promise<string> {
  const res = await t.http().get('/api/v1/consents/me').set(authHeader(accessToken));
  return res.status === 404 ? 'unsupported' : 'granted';
}

// The invited patient finds the invitation among their rooms and accepts it (docs/demo.md).
export async function acceptInvitationOnPage(page: Page, roomId: string): Promise<void> {
  await page.getByTestId('rooms-refresh').click();
  const room = `[data-testid="room-item"][data-room-id="${roomId}"]`;
  await page.locator(`${room}[data-status="invited"]`).getByTestId('room-accept').click();
  await page.locator(`${room}[data-status="active"]`).waitFor();
}

// The doctor invites the patient into a consultation room (over REST, as an app would) and
// the patient accepts on their page: the care relationship that lets the doctor see and ring
// them. Returns the room's id.
export async function inviteAndAcceptOnPage(
  t: TestApp,
  pages: { doctor: Page; patient: Page },
  people: { doctor: Person; patient: Person },
  room: { name?: string; waitingRoom?: boolean } = {},
): Promise<string> {
  const created = await t
    .http()
    .post('/api/v1/rooms')
    .set(authHeader(people.doctor.accessToken))
    .send({
      name: room.name ?? 'Follow-up',
      type: 'consultation',
      memberIds: [people.patient.id],
      waitingRoom: room.waitingRoom ?? false,
    })
    .expect(201);
  const roomId = (created.body.room ?? created.body).id as string;
  await acceptInvitationOnPage(pages.patient, roomId);
  // The doctor's page lists the new room once it looks again.
  await pages.doctor.getByTestId('rooms-refresh').click();
  await pages.doctor.locator(`[data-testid="room-item"][data-room-id="${roomId}"]`).waitFor();
  return roomId;
}

// Enters a room from the home screen; a patient passes the pre-call check on the way.
export async function joinRoomOnPage(page: Page, roomId: string): Promise<void> {
  const item = page.locator(`[data-testid="room-item"][data-room-id="${roomId}"]`);
  await item.getByTestId('room-join').click();
  await page
    .locator('[data-testid="precheck-panel"]:visible, [data-testid="media-panel"]:visible')
    .waitFor();
  if (await page.getByTestId('precheck-panel').isVisible()) await passPrecheck(page);
}

// Leaves the room or call on screen and goes back to the home screen (through the end screen
// when the consultation had started).
export async function leaveToHome(page: Page): Promise<void> {
  await page.getByTestId('leave').click();
  await page
    .locator('[data-testid="user-panel"]:visible, [data-testid="ended-panel"]:visible')
    .waitFor();
  if (await page.getByTestId('ended-panel').isVisible()) {
    await page.getByTestId('ended-home').click();
  }
  await page.getByTestId('user-panel').waitFor({ state: 'visible' });
}

export async function waitRoomStatus(page: Page, status: string): Promise<void> {
  await page
    .locator(`[data-testid="room-status"][data-status="${status}"]`)
    .waitFor({ state: 'attached' });
}

export async function waitCallStatus(page: Page, status: string): Promise<void> {
  await page
    .locator(`[data-testid="call-status"][data-status="${status}"]`)
    .waitFor({ state: 'attached' });
}

export interface Person extends TestUser {
  password: string;
  accessToken: string;
}

// A doctor and a patient of their own, signed in over REST too (for the test's own checks).
export async function doctorAndPatient(t: TestApp): Promise<{ doctor: Person; patient: Person }> {
  const [doctor, patient] = await Promise.all(
    [
      { role: Role.Doctor, displayName: 'Dr. Elif Kaya' },
      // No consent yet: the patient grants it on the page, through the demo's consent step.
      { role: Role.Patient, displayName: 'Ayşe Yılmaz', consent: false },
    ].map(async (options) => {
      const user = await createUser(t, options);
      const { accessToken } = await login(t, user.email, user.password);
      return { ...user, accessToken };
    }),
  );
  return { doctor, patient };
}

// The clinic's day set up for a browser test: the doctor's calendar open all day in 5-minute
// slots (whatever the hour of the run, the next slot starts within minutes, so check-in is
// open), then the patient finds the doctor by name on their page and books the first free
// slot. Resolves with the booked appointment's item on the patient's page and its id.
export async function bookFirstSlotOnPage(
  t: TestApp,
  patient: Page,
  doctor: Person,
  reason?: string,
): Promise<{ booked: Locator; appointmentId: string }> {
  await t
    .http()
    .put('/api/v1/clinicians/me/availability')
    .set(authHeader(doctor.accessToken))
    .send({
      timezone: 'UTC',
      slotMinutes: 5,
      weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })),
    })
    .expect(200);
  await patient.getByTestId('appointments-refresh').click();
  const clinician = patient.getByTestId('booking-clinician');
  await clinician
    .locator(`option[value="${doctor.id}"]`)
    .filter({ hasText: doctor.displayName })
    .waitFor({ state: 'attached' });
  await clinician.selectOption({ label: doctor.displayName });
  if (reason) await patient.getByTestId('booking-reason').fill(reason);
  await patient.getByTestId('booking-find').click();
  await patient.getByTestId('booking-slot').first().click();
  const booked = patient.locator('[data-testid="appointment-item"][data-status="booked"]');
  await booked.waitFor();
  return { booked, appointmentId: (await booked.getAttribute('data-appointment-id')) ?? '' };
}

// Both people sign in on their pages; the patient goes through the consent step.
export async function signInBoth(
  t: TestApp,
  pages: { doctor: Page; patient: Page },
  people: { doctor: Person; patient: Person },
  options: { relay?: boolean } = {},
): Promise<void> {
  const base = baseUrl(t);
  await Promise.all([
    signInOnPage(pages.doctor, base, people.doctor.email, people.doctor.password, options),
    signInOnPage(pages.patient, base, people.patient.email, people.patient.password, options),
  ]);
  const consent = await passConsentStep(pages.patient);
  if (consent !== (await expectedConsentStatus(t, people.patient.accessToken))) {
    throw new Error(`the patient's consent step ended as ${consent}`);
  }
}

export interface Consultation {
  doctor: Person;
  patient: Person;
  roomId: string;
  readings: MediaReading[];
}

// The consultation walk of scenarios 1, 2 and 4: a doctor and a patient sign in on their
// pages; the doctor's consultation room (with a waiting room) invites the patient, who accepts
// the invitation on the page; the doctor joins, the patient knocks, the doctor admits, and both
// decode video from each other.
export async function meetInConsultation(
  t: TestApp,
  pages: { doctor: Page; patient: Page },
  options: { relay?: boolean } = {},
): Promise<Consultation> {
  const people = await doctorAndPatient(t);
  await signInBoth(t, pages, people, options);
  const roomId = await inviteAndAcceptOnPage(t, pages, people, { waitingRoom: true });
  await joinRoomOnPage(pages.doctor, roomId);
  await waitRoomStatus(pages.doctor, 'joined');
  await joinRoomOnPage(pages.patient, roomId);
  await waitRoomStatus(pages.patient, 'waiting');

  const knock = pages.doctor.locator(
    `[data-testid="waiting-item"][data-user-id="${people.patient.id}"]`,
  );
  await knock.getByTestId('admit').click();
  await waitRoomStatus(pages.patient, 'joined');
  const readings = await Promise.all([
    waitForVideo(pages.doctor, 'the doctor'),
    waitForVideo(pages.patient, 'the patient'),
  ]);
  return { ...people, roomId, readings };
}

// Screenshots of both pages under test-output/browser/ (git-ignored).
export async function screenshotBoth(
  pages: { doctor: Page; patient: Page },
  name: string,
): Promise<void> {
  await mkdir(join(TEST_OUTPUT, 'browser'), { recursive: true });
  await Promise.all([
    pages.doctor.screenshot({ path: join(TEST_OUTPUT, 'browser', `${name}-doctor.png`) }),
    pages.patient.screenshot({ path: join(TEST_OUTPUT, 'browser', `${name}-patient.png`) }),
  ]);
}

export interface MediaReading {
  connectionState: string | undefined;
  framesDecoded: number;
  localCandidateType: string | undefined;
  remoteCandidateType: string | undefined;
}

// Reads the page's current peer connection from getStats() (through window.hekimDemo).
const READ_MEDIA = `(async () => {
  const pc = window.hekimDemo && window.hekimDemo.pc;
  if (!pc) return { connectionState: undefined, framesDecoded: 0 };
  const byId = new Map();
  let framesDecoded = 0;
  let pair;
  (await pc.getStats()).forEach((e) => {
    byId.set(e.id, e);
    if (e.type === 'inbound-rtp' && e.kind === 'video') framesDecoded += e.framesDecoded || 0;
    if (e.type === 'candidate-pair' && e.nominated && e.state === 'succeeded') pair = e;
  });
  for (const e of byId.values()) {
    if (e.type === 'transport' && byId.has(e.selectedCandidatePairId)) pair = byId.get(e.selectedCandidatePairId);
  }
  return {
    connectionState: pc.connectionState,
    framesDecoded,
    localCandidateType: pair && byId.get(pair.localCandidateId)?.candidateType,
    remoteCandidateType: pair && byId.get(pair.remoteCandidateId)?.candidateType,
  };
})()`;

export function readMedia(page: Page): Promise<MediaReading> {
  return page.evaluate<MediaReading>(READ_MEDIA);
}

// Connected, and at least `frames` video frames from the other side decoded. On a timeout
// the error carries the page's event log (signaling and negotiation steps), newest first.
export async function waitForVideo(page: Page, who: string, frames = 30): Promise<MediaReading> {
  try {
    return await pollUntil(
      `${who} to decode ${frames} video frames`,
      () => readMedia(page),
      (r) => r.connectionState === 'connected' && r.framesDecoded >= frames,
    );
  } catch (error) {
    const events = await page
      .getByTestId('event-log')
      .innerText()
      .catch(() => '(no event log)');
    throw new Error(`${(error as Error).message}\n${who}'s event log:\n${events}`, {
      cause: error,
    });
  }
}

export interface FlowReading {
  audioBytes: number;
  videoBytes: number;
  framesDecoded: number;
}

// inbound-rtp bytes by kind over all the page's peer connections (through window.hekimDemo).
const READ_FLOW = `(async () => {
  const pcs = (window.hekimDemo && window.hekimDemo.peerConnections) || [];
  const r = { audioBytes: 0, videoBytes: 0, framesDecoded: 0 };
  for (const pc of pcs) {
    (await pc.getStats()).forEach((e) => {
      if (e.type !== 'inbound-rtp') return;
      if (e.kind === 'audio') r.audioBytes += e.bytesReceived || 0;
      if (e.kind === 'video') {
        r.videoBytes += e.bytesReceived || 0;
        r.framesDecoded += e.framesDecoded || 0;
      }
    });
  }
  return r;
})()`;

export function readFlow(page: Page): Promise<FlowReading> {
  return page.evaluate<FlowReading>(READ_FLOW);
}

// Audio and video keep arriving from the other side: inbound-rtp bytes of each kind and the
// decoded video frames grow past a first reading. Resolves with both readings.
export async function waitForMediaFlow(
  page: Page,
  who: string,
): Promise<{ before: FlowReading; after: FlowReading }> {
  const before = await readFlow(page);
  const after = await pollUntil(
    `${who} to keep receiving audio and video`,
    () => readFlow(page),
    (r) =>
      r.audioBytes > before.audioBytes &&
      r.videoBytes > before.videoBytes &&
      r.framesDecoded > before.framesDecoded,
  );
  return { before, after };
}

// What covers the chat's Send button: the page is scrolled from top to bottom in steps, and
// wherever the button's centre is on screen (and not behind the call's sticky controls, which
// scroll content passes under by design), document.elementFromPoint at that centre must be
// the button or inside it. Resolves with a description of each cover found ([] when none).
export async function chatSendOccluders(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(async () => {
    const send = document.querySelector('[data-testid="chat-send"]');
    const toolbar = document.querySelector('.toolbar');
    if (!send || send.offsetParent === null) return ['the Send button is not shown'];
    const found = new Set();
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const height = document.documentElement.scrollHeight;
    let seen = 0;
    for (let y = 0; y <= height; y += 40) {
      window.scrollTo(0, y);
      await frame();
      const r = send.getBoundingClientRect();
      const x = r.left + r.width / 2;
      const cy = r.top + r.height / 2;
      if (cy < 0 || cy > window.innerHeight || x < 0 || x > window.innerWidth) continue;
      const bar = toolbar && toolbar.getBoundingClientRect();
      if (bar && cy >= bar.top && cy <= bar.bottom) continue;
      seen += 1;
      const hit = document.elementFromPoint(x, cy);
      if (hit !== send && !send.contains(hit)) {
        const tile = hit && hit.closest('[data-testid]');
        found.add((tile ? tile.dataset.testid : hit && hit.tagName) + ' at scroll ' + y);
      }
    }
    window.scrollTo(0, 0);
    if (seen === 0) found.add('the Send button was never on screen');
    return [...found];
  })()`);
}
