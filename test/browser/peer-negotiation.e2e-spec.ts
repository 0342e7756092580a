import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { appAndTwoPeople, pollUntil, TEST_OUTPUT } from '../support/browser';

// The SDK's Peer (packages/client/src/peer.ts, served as /demo/sdk.js) in two real Chromium
// processes, wired to each other through this test instead of the signaling gateway. Both
// sides add their tracks at once and their offers are held back until both exist, so every
// run is a glare: the polite side must roll back and answer, the impolite side must ignore
// the crossing offer and its candidates. Then one side reloads and comes back with a new peer
// connection, which the other side must recognise (the SDK's isNewRemoteSession, as
// ConsultationSession does) and replace.

interface InPage {
  __peer?: { pc: { connectionState: string; close(): void } };
  // Delivers a relayed signal to the page's Peer (and notes it in __log).
  __receive?(kind: string, payload: unknown): Promise<void>;
  __errors: string[];
}

// Runs in the page: imports the SDK built by demo/build.mjs and starts a Peer with the fake
// camera.
const startPeer = (polite: boolean): string => `(async () => {
  const { Peer, isNewRemoteSession } = await import('/demo/sdk.js');
  const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  document.querySelector('[data-testid="local-video"]').srcObject = local;
  document.querySelector('[data-testid="media-panel"]').hidden = false;
  window.__errors = [];
  // What happened, for the failure message: negotiation steps and each signal received.
  window.__log = [];
  const tracks = local.getTracks().map((track) => ({ track, stream: local }));
  const signals = {
    offer: (sdp) => window.relay('offer', sdp),
    answer: (sdp) => window.relay('answer', sdp),
    candidate: (candidate) => window.relay('candidate', candidate),
  };
  const callbacks = {
    track: (track, streams) => {
      let video = document.querySelector('[data-testid="remote-video"]');
      if (!video) {
        video = document.createElement('video');
        video.dataset.testid = 'remote-video';
        video.muted = true;
        video.autoplay = true;
        document.querySelector('[data-testid="remote-videos"]').append(video);
      }
      video.srcObject = streams[0];
    },
    state: (state) => {
      document.querySelector('[data-testid="connection-state"]').textContent = state;
    },
    message: () => undefined,
    error: (error) => window.__errors.push(String(error)),
    log: (message) => window.__log.push(message),
  };
  const create = () =>
    new Peer('other', ${polite}, RTCPeerConnection, { iceServers: [] }, tracks, signals, callbacks);
  window.__peer = create();
  const ufrag = (sdp) => (/a=ice-ufrag:(\\S+)/.exec(sdp) || [])[1];
  window.__receive = async (kind, payload) => {
    window.__log.push(kind === 'candidate'
      ? 'got candidate ' + payload.usernameFragment + ' ' + payload.candidate
      : 'got ' + kind + ' ufrag ' + ufrag(payload));
    if (kind === 'candidate') return window.__peer.handleCandidate(payload);
    if (kind === 'offer' && isNewRemoteSession(window.__peer.remoteSdp, payload)) {
      window.__log.push('new remote connection: replacing ours');
      window.__peer.close();
      window.__peer = create();
    }
    return window.__peer.handleDescription(kind, payload);
  };
})()`;

const readPeer = `(async () => {
  const pc = window.__peer.pc;
  let framesDecoded = 0;
  (await pc.getStats()).forEach((e) => {
    if (e.type === 'inbound-rtp' && e.kind === 'video') framesDecoded += e.framesDecoded || 0;
  });
  return { state: pc.connectionState, signaling: pc.signalingState, framesDecoded, errors: window.__errors };
})()`;

// When a side does not connect: its ICE state, the ICE usernames of both descriptions, how
// many remote candidates it knows, and its log.
const diagnosePeer = `(async () => {
  const pc = window.__peer.pc;
  const ufrag = (d) => d && (/a=ice-ufrag:(\\S+)/.exec(d.sdp) || [])[1];
  let remoteCandidates = 0;
  (await pc.getStats()).forEach((e) => { if (e.type === 'remote-candidate') remoteCandidates += 1; });
  return {
    ice: pc.iceConnectionState,
    gathering: pc.iceGatheringState,
    localUfrag: ufrag(pc.localDescription),
    remoteUfrag: ufrag(pc.remoteDescription),
    remoteCandidates,
    log: window.__log,
  };
})()`;

interface PeerReading {
  state: string;
  signaling: string;
  framesDecoded: number;
  errors: string[];
}

describe('browser: perfect negotiation between two Chromium peers', () => {
  const on = appAndTwoPeople();
  const relayErrors: string[] = [];

  it('settles a glare, both sides decode video, and a reloaded side gets back in', async () => {
    const { t, first: polite, second: impolite } = on;
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
              async ([k, p]) => {
                // A page that is reloading has nobody to deliver to, as on a real network.
                await (globalThis as unknown as InPage).__receive?.(k, p);
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
    const bothConnected = async (what: string): Promise<PeerReading[]> => {
      try {
        return await Promise.all([
          pollUntil(
            `the polite side to decode video (${what})`,
            () => read(polite.page),
            connected,
          ),
          pollUntil(
            `the impolite side to decode video (${what})`,
            () => read(impolite.page),
            connected,
          ),
        ]);
      } catch (error) {
        const [p, i] = await Promise.all(
          [polite.page, impolite.page].map((page) => page.evaluate(diagnosePeer).catch(String)),
        );
        const details = { polite: p, impolite: i, relayErrors };
        throw new Error(`${(error as Error).message}\n${JSON.stringify(details, null, 1)}`, {
          cause: error,
        });
      }
    };
    const [a, b] = await bothConnected('the first connection');
    expect(offered.size).toBe(2);
    expect([a.errors, b.errors, relayErrors]).toEqual([[], [], []]);

    await mkdir(join(TEST_OUTPUT, 'browser'), { recursive: true });
    await polite.page.screenshot({ path: join(TEST_OUTPUT, 'browser', 'peer-polite.png') });
    await impolite.page.screenshot({ path: join(TEST_OUTPUT, 'browser', 'peer-impolite.png') });

    // The impolite side reloads: its new peer connection offers, and the polite side must
    // drop its old connection for a fresh one instead of failing on the stranger's offer.
    await polite.page.evaluate(() => {
      const g = globalThis as unknown as InPage & { __old?: unknown };
      g.__old = g.__peer?.pc;
    });
    await impolite.page.reload();
    await impolite.page.evaluate(startPeer(false));
    const [c, d] = await bothConnected('the connection after the reload');
    expect([c.errors, d.errors, relayErrors]).toEqual([[], [], []]);
    const replaced = await polite.page.evaluate(() => {
      const g = globalThis as unknown as InPage & { __old?: { connectionState: string } };
      return { fresh: g.__peer?.pc !== g.__old, old: g.__old?.connectionState };
    });
    expect(replaced).toEqual({ fresh: true, old: 'closed' });

    await Promise.all(
      [polite, impolite].map((p) =>
        p.page.evaluate(() => (globalThis as unknown as InPage).__peer?.pc.close()),
      ),
    );
  });
});
