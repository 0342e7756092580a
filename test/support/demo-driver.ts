import type { Page } from 'playwright-core';
import { pollUntil } from './browser';

// Drives the demo page the way a person would, through its data-testid handles.

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
  await page
    .getByTestId('signaling-state')
    .filter({ hasText: /^connected$/ })
    .waitFor();
}

export async function joinRoomOnPage(page: Page, roomId: string): Promise<void> {
  const item = page.locator(`[data-testid="room-item"][data-room-id="${roomId}"]`);
  await item.getByTestId('room-join').click();
}

export async function waitRoomStatus(page: Page, status: string): Promise<void> {
  await page.locator(`[data-testid="room-status"][data-status="${status}"]`).waitFor();
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

// Connected, and at least `frames` video frames from the other side decoded.
export function waitForVideo(page: Page, who: string, frames = 30): Promise<MediaReading> {
  return pollUntil(
    `${who} to decode ${frames} video frames`,
    () => readMedia(page),
    (r) => r.connectionState === 'connected' && r.framesDecoded >= frames,
  );
}
