import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, pollUntil, TEST_OUTPUT, type BrowserPeer } from '../support/browser';
import { createTestApp, type TestApp } from '../support/test-app';

// The demo's Peer (demo/src/peer.ts) in two real Chromium processes, wired to each other
// through this test instead of the signaling gateway. Both sides add their tracks at once
// and their offers are held back until both exist, so every run is a glare: the polite side
// must roll back and answer, the impolite side must ignore the crossing offer and its
// candidates. Passing means perfect negotiation works with the browser's real behaviour.

interface InPage {
  __peer: {
    pc: { connectionState: string; close(): void };
    handleDescription(type: string, sdp: string): Promise<void>;
    handleCandidate(candidate: unknown): Promise<void>;
  };
  __errors: string[];
}

// Runs in the page: imports the compiled Peer from Hekim and starts it with the fake camera.
const startPeer = (polite: boolean): string => `(async () => {
  const { Peer } = await import('/demo/peer.js');
  const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  document.querySelector('[data-testid="local-video"]').srcObject = local;
  document.querySelector('[data-testid="media-panel"]').hidden = false;
  window.__errors = [];
  window.__peer = new Peer('other', ${polite}, { iceServers: [] }, local, {
    sendOffer: (sdp) => window.relay('offer', sdp),
    sendAnswer: (sdp) => window.relay('answer', sdp),
    sendCandidate: (candidate) => window.relay('candidate', candidate),
  }, {
    onRemoteStream: (stream) => {
      let video = document.querySelector('[data-testid="remote-video"]');
      if (!video) {
        video = document.createElement('video');
        video.dataset.testid = 'remote-video';
        video.muted = true;
        video.autoplay = true;
        document.querySelector('[data-testid="remote-videos"]').append(video);
      }
      video.srcObject = stream;
    },
    onStateChange: (state) => {
      document.querySelector('[data-testid="connection-state"]').textContent = state;
    },
    onError: (error) => window.__errors.push(String(error)),
  });
})()`;

const readPeer = `(async () => {
  const pc = window.__peer.pc;
  let framesDecoded = 0;
  (await pc.getStats()).forEach((e) => {
    if (e.type === 'inbound-rtp' && e.kind === 'video') framesDecoded += e.framesDecoded || 0;
  });
  return { state: pc.connectionState, signaling: pc.signalingState, framesDecoded, errors: window.__errors };
})()`;

interface PeerReading {
  state: string;
  signaling: string;
  framesDecoded: number;
  errors: string[];
}

describe('browser: perfect negotiation between two Chromium peers', () => {
  let t: TestApp;
  let polite: BrowserPeer;
  let impolite: BrowserPeer;
  const relayErrors: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    [polite, impolite] = await Promise.all([launchBrowser(), launchBrowser()]);
  });
  afterAll(async () => {
    await Promise.all([polite?.close(), impolite?.close()]);
    await t?.close();
  });

  it('settles a glare and both sides decode video from each other', async () => {
    const address = t.app.getHttpServer().address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');
    const base = `http://127.0.0.1:${address.port}`;

    // Offers are held until both sides have made one, so they always cross.
    const offered = new Set<Page>();
    let release!: () => void;
    const bothOffered = new Promise<void>((resolve) => (release = resolve));
    const link = async (from: Page, to: Page): Promise<void> => {
      let chain: Promise<unknown> = bothOffered;
      await from.exposeFunction('relay', (kind: string, payload: unknown) => {
        if (kind === 'offer') {
          offered.add(from);
          if (offered.size === 2) release();
        }
        // Like a network: the sender does not wait; delivery keeps the sending order.
        chain = chain
          .then(() =>
            to.evaluate(
              ([k, p]) => {
                const peer = (globalThis as unknown as InPage).__peer;
                return k === 'candidate'
                  ? peer.handleCandidate(p)
                  : peer.handleDescription(k, p as string);
              },
              [kind, payload] as const,
            ),
          )
          .catch((error: unknown) => relayErrors.push(String(error)));
      });
    };
    await Promise.all([
      link(polite.page, impolite.page),
      link(impolite.page, polite.page),
      polite.page.goto(`${base}/demo`),
      impolite.page.goto(`${base}/demo`),
    ]);
    await Promise.all([
      polite.page.evaluate(startPeer(true)),
      impolite.page.evaluate(startPeer(false)),
    ]);

    const read = (page: Page) => page.evaluate<PeerReading>(readPeer);
    const connected = (r: PeerReading) =>
      r.state === 'connected' && r.signaling === 'stable' && r.framesDecoded >= 30;
    const [a, b] = await Promise.all([
      pollUntil('the polite side to decode video', () => read(polite.page), connected),
      pollUntil('the impolite side to decode video', () => read(impolite.page), connected),
    ]);
    expect(offered.size).toBe(2);
    expect([a.errors, b.errors, relayErrors]).toEqual([[], [], []]);

    await mkdir(join(TEST_OUTPUT, 'browser'), { recursive: true });
    await polite.page.screenshot({ path: join(TEST_OUTPUT, 'browser', 'peer-polite.png') });
    await impolite.page.screenshot({ path: join(TEST_OUTPUT, 'browser', 'peer-impolite.png') });

    await Promise.all(
      [polite, impolite].map((p) =>
        p.page.evaluate(() => (globalThis as unknown as InPage).__peer.pc.close()),
      ),
    );
  });
});
