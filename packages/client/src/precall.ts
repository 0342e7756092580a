// The pre-call check (docs/sdk.md, "Pre-call check"): before a patient enters the waiting
// room, find what would stop the consultation and say what to do about it. It tries the
// camera, the microphone, the signaling connection, a TURN allocation with fresh credentials
// and a short loopback through the relay (two peer connections on this device, both forced
// through TURN, exchanging data and, when there is a microphone, audio).
import type { IceServer } from './contract/signaling-events.js';
import type { SignalingClient } from './signaling.js';
import type {
  IceCandidateLike,
  PeerConnectionLike,
  StreamLike,
  TrackLike,
  WebRtc,
} from './webrtc.js';
import { readStats, statsEntries } from './quality.js';

export type CheckName = 'camera' | 'microphone' | 'signaling' | 'turn' | 'media';
export type CheckStatus = 'pass' | 'fail' | 'skipped';

// Machine-readable reasons; the app translates them (docs/sdk.md lists the advice for each).
export type CheckCode =
  | 'ok'
  | 'permission-denied'
  | 'device-not-found'
  | 'device-in-use'
  | 'not-supported'
  | 'unreachable'
  | 'refused'
  | 'no-relay-candidate'
  | 'no-connection'
  | 'no-media'
  | 'not-run';

export interface CheckResult {
  name: CheckName;
  status: CheckStatus;
  code: CheckCode;
  // How long the step took; for `media`, the round trip of a message through the relay.
  ms?: number;
}

// ready: everything works. degraded: the consultation can go on, with a limitation (audio
// only, or no relay: a direct path may still work). blocked: it cannot go on as things are.
export type Verdict = 'ready' | 'degraded' | 'blocked';

export interface PrecallReport {
  verdict: Verdict;
  checks: CheckResult[];
  // What the patient can do, most important first (codes of docs/sdk.md's table).
  advice: string[];
  // The loopback's round trip through the relay, when it ran.
  relayRttMs?: number;
}

export interface PrecallOptions {
  webrtc: WebRtc;
  // Fresh ICE servers with TURN credentials (GET /api/v1/ice-servers).
  iceServers: () => Promise<IceServer[]>;
  // Checked for a live connection (connected now, or connects within the timeout).
  signaling?: SignalingClient;
  camera?: boolean;
  microphone?: boolean;
  // Per step; the whole check stays within a few of them.
  timeoutMs?: number;
}

const ADVICE: Record<string, string> = {
  'camera:permission-denied': 'allow-camera',
  'camera:device-not-found': 'connect-camera',
  'camera:device-in-use': 'close-other-camera-apps',
  'microphone:permission-denied': 'allow-microphone',
  'microphone:device-not-found': 'connect-microphone',
  'microphone:device-in-use': 'close-other-microphone-apps',
  'signaling:unreachable': 'check-internet',
  'signaling:refused': 'sign-in-again',
  'turn:unreachable': 'check-internet',
  'turn:refused': 'open-from-appointment',
  'turn:no-relay-candidate': 'try-another-network',
  'media:no-connection': 'try-another-network',
  'media:no-media': 'try-another-network',
};

function deviceCode(error: unknown): CheckCode {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'permission-denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'device-not-found';
  if (name === 'NotReadableError' || name === 'AbortError') return 'device-in-use';
  return 'device-not-found';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// The verdict from the checks (pure, unit-tested): no microphone or no signaling blocks the
// consultation; no camera or no relay degrades it.
export function verdictOf(checks: readonly CheckResult[]): Verdict {
  const failed = (name: CheckName): boolean =>
    checks.some((c) => c.name === name && c.status === 'fail');
  if (failed('microphone') || failed('signaling')) return 'blocked';
  if (failed('camera') || failed('turn') || failed('media')) return 'degraded';
  return 'ready';
}

export function adviceOf(checks: readonly CheckResult[]): string[] {
  const out: string[] = [];
  for (const c of checks) {
    const advice = c.status === 'fail' ? ADVICE[`${c.name}:${c.code}`] : undefined;
    if (advice && !out.includes(advice)) out.push(advice);
  }
  return out;
}

function isTurn(server: IceServer): boolean {
  const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
  return urls.some((url) => /^turns?:/.test(url));
}

export async function precallCheck(options: PrecallOptions): Promise<PrecallReport> {
  const timeoutMs = options.timeoutMs ?? 8000;
  const checks: CheckResult[] = [];
  const started = (): (() => number) => {
    const t0 = Date.now();
    return () => Date.now() - t0;
  };
  const tracks: TrackLike[] = [];
  let microphone: { track: TrackLike; stream: StreamLike } | undefined;

  for (const kind of ['camera', 'microphone'] as const) {
    const wanted = options[kind] ?? true;
    if (!wanted) {
      checks.push({ name: kind, status: 'skipped', code: 'not-run' });
      continue;
    }
    if (!options.webrtc.getUserMedia) {
      checks.push({ name: kind, status: 'fail', code: 'not-supported' });
      continue;
    }
    const took = started();
    try {
      const stream = await options.webrtc.getUserMedia(
        kind === 'camera' ? { video: true } : { audio: true },
      );
      const got = stream.getTracks();
      tracks.push(...got);
      const ok = got.length > 0;
      if (ok && kind === 'microphone') microphone = { track: got[0], stream };
      checks.push({
        name: kind,
        status: ok ? 'pass' : 'fail',
        code: ok ? 'ok' : 'device-not-found',
        ms: took(),
      });
    } catch (error) {
      checks.push({ name: kind, status: 'fail', code: deviceCode(error), ms: took() });
    }
  }

  if (options.signaling) {
    const took = started();
    const s = options.signaling;
    const ok = s.connected
      ? true
      : await withTimeout(
          s.connect().then(
            () => true,
            () => false,
          ),
          timeoutMs,
        );
    const refused = s.connectionState === 'closed';
    checks.push({
      name: 'signaling',
      status: ok ? 'pass' : 'fail',
      code: ok ? 'ok' : refused ? 'refused' : 'unreachable',
      ms: took(),
    });
  } else {
    checks.push({ name: 'signaling', status: 'skipped', code: 'not-run' });
  }

  let relayRttMs: number | undefined;
  let refused = false;
  const iceServers = await withTimeout(
    options.iceServers().catch((error: unknown) => {
      // Hekim said no (not a member of an open consultation, signed out), as opposed to
      // not answering at all.
      const code = (error as { code?: string } | undefined)?.code;
      refused = code === 'FORBIDDEN' || code === 'UNAUTHORIZED';
      return undefined;
    }),
    timeoutMs,
  );
  if (!iceServers) {
    checks.push({ name: 'turn', status: 'fail', code: refused ? 'refused' : 'unreachable' });
    checks.push({ name: 'media', status: 'skipped', code: 'not-run' });
  } else if (!iceServers.some(isTurn)) {
    // This deployment hands out no TURN server (media goes direct or not at all): nothing
    // to allocate, and a relay-only loopback could only time out.
    checks.push({ name: 'turn', status: 'skipped', code: 'not-run' });
    checks.push({ name: 'media', status: 'skipped', code: 'not-run' });
  } else {
    const result = await loopback(options.webrtc, iceServers, microphone, timeoutMs);
    checks.push(...result.checks);
    relayRttMs = result.rttMs;
  }
  for (const track of tracks) track.stop();

  const report: PrecallReport = { verdict: verdictOf(checks), checks, advice: adviceOf(checks) };
  if (relayRttMs !== undefined) report.relayRttMs = relayRttMs;
  return report;
}

// Two relay-only peer connections on this device, wired to each other directly (no
// signaling): a relay candidate proves the TURN allocation, a data round trip (and audio,
// when there is a microphone) proves media can flow through the relay.
async function loopback(
  webrtc: WebRtc,
  iceServers: IceServer[],
  microphone: { track: TrackLike; stream: StreamLike } | undefined,
  timeoutMs: number,
): Promise<{ checks: CheckResult[]; rttMs?: number }> {
  const config = { iceServers, iceTransportPolicy: 'relay' as const };
  const a = new webrtc.RTCPeerConnection(config);
  const b = new webrtc.RTCPeerConnection(config);
  const t0 = Date.now();
  let relayAt: number | undefined;
  let resolveRelay: () => void = () => undefined;
  const relayed = new Promise<void>((r) => (resolveRelay = r));
  const wire = (from: PeerConnectionLike, to: PeerConnectionLike): void => {
    from.onicecandidate = (event) => {
      const c = event.candidate;
      if (!c || !c.candidate) return;
      if (/ typ relay/.test(c.candidate)) {
        relayAt ??= Date.now() - t0;
        resolveRelay();
      }
      const init: IceCandidateLike = {
        candidate: c.candidate,
        sdpMid: c.sdpMid ?? null,
        sdpMLineIndex: c.sdpMLineIndex ?? null,
      };
      void to.addIceCandidate(init).catch(() => undefined);
    };
  };
  wire(a, b);
  wire(b, a);
  const channelA = a.createDataChannel('precall', { negotiated: true, id: 0 });
  const channelB = b.createDataChannel('precall', { negotiated: true, id: 0 });
  channelB.onmessage = (event) => {
    if (typeof event.data === 'string') channelB.send(event.data);
  };
  if (microphone) a.addTrack(microphone.track, microphone.stream);
  const checks: CheckResult[] = [];
  let rttMs: number | undefined;
  try {
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription as { type: 'offer'; sdp: string });
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription as { type: 'answer'; sdp: string });
    const gotRelay = await withTimeout(
      relayed.then(() => true),
      timeoutMs,
    );
    checks.push(
      gotRelay
        ? { name: 'turn', status: 'pass', code: 'ok', ms: relayAt }
        : { name: 'turn', status: 'fail', code: 'no-relay-candidate', ms: Date.now() - t0 },
    );
    if (!gotRelay) {
      checks.push({ name: 'media', status: 'skipped', code: 'not-run' });
      return { checks };
    }
    const open = await withTimeout(
      new Promise<boolean>((resolve) => {
        if (channelA.readyState === 'open') resolve(true);
        channelA.onopen = () => resolve(true);
      }),
      timeoutMs,
    );
    if (!open) {
      checks.push({ name: 'media', status: 'fail', code: 'no-connection' });
      return { checks };
    }
    const sent = Date.now();
    const echoed = await withTimeout(
      new Promise<boolean>((resolve) => {
        channelA.onmessage = () => resolve(true);
        channelA.send('ping');
      }),
      timeoutMs,
    );
    if (!echoed) {
      checks.push({ name: 'media', status: 'fail', code: 'no-connection' });
      return { checks };
    }
    rttMs = Date.now() - sent;
    // With a microphone, audio must arrive at the other end too (bytes counted by getStats).
    let audioOk = true;
    if (microphone) {
      audioOk = false;
      for (let i = 0; i < 10 && !audioOk; i++) {
        await new Promise((r) => setTimeout(r, Math.min(200, timeoutMs / 10)));
        const { counters } = readStats(statsEntries(await b.getStats()), undefined, Date.now());
        audioOk = counters.bytesReceived > 0;
      }
    }
    checks.push({
      name: 'media',
      status: audioOk ? 'pass' : 'fail',
      code: audioOk ? 'ok' : 'no-media',
      ms: rttMs,
    });
    return { checks, rttMs };
  } catch {
    if (!checks.some((c) => c.name === 'turn')) {
      checks.push({ name: 'turn', status: 'fail', code: 'no-relay-candidate' });
    }
    checks.push({ name: 'media', status: 'fail', code: 'no-connection' });
    return { checks };
  } finally {
    channelA.close();
    channelB.close();
    await Promise.resolve(a.close()).catch(() => undefined);
    await Promise.resolve(b.close()).catch(() => undefined);
  }
}

// The body of POST /api/v1/appointments/{id}/precheck: passed unless blocked, and a short
// technical note for the clinician's queue (no health data): "camera ok; microphone
// permission-denied; …; relay rtt 40 ms".
export function precheckSummary(report: PrecallReport): { passed: boolean; details: string } {
  const parts = report.checks
    .filter((c) => c.status !== 'skipped')
    .map((c) => `${c.name} ${c.code}`);
  if (report.relayRttMs !== undefined) parts.push(`relay rtt ${report.relayRttMs} ms`);
  return { passed: report.verdict !== 'blocked', details: parts.join('; ') };
}
