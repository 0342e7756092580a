// Scenario 6: real WebRTC peer connections (werift, pure TypeScript) negotiated through
// Hekim's relay vs through the bare relay: connections established per second.
import { RTCPeerConnection, type RTCIceCandidate } from 'werift';
import { startCoturn } from '../../test/support/coturn';
import { alternate, verdict, type ScenarioResult } from '../lib/ab';
import { bareSpecs, hekimSpecs, type Lab } from '../lib/lab';
import { closePairs, openPairs, type Pair } from '../lib/signaling';
import { fmt, fmtSpread, latencySummary, median, pairedRatios, spread } from '../lib/stats';

type Payload = { sdp?: string; candidate?: Record<string, unknown>; from?: string };

// One connection between the pair's two peers, signaled through the pair's sockets.
async function connectOnce(pair: Pair, stun: string, timeoutMs = 15_000): Promise<number> {
  const config = {
    iceServers: [{ urls: stun }],
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
  };
  const pc1 = new RTCPeerConnection(config);
  const pc2 = new RTCPeerConnection(config);
  const t0 = process.hrtime.bigint();
  const pending: [RTCPeerConnection, Record<string, unknown>][] = [];
  const ready = new Set<RTCPeerConnection>();
  const addCandidate = (pc: RTCPeerConnection, c: Record<string, unknown>): void => {
    if (!ready.has(pc)) {
      pending.push([pc, c]);
      return;
    }
    pc.addIceCandidate(c as never).catch(() => undefined);
  };
  const remoteSet = (pc: RTCPeerConnection): void => {
    ready.add(pc);
    for (const [p, c] of pending.splice(0)) {
      if (p === pc) pc.addIceCandidate(c as never).catch(() => undefined);
      else pending.push([p, c]);
    }
  };
  const send = (from: 'a' | 'b', event: string, body: Record<string, unknown>): void => {
    const socket = from === 'a' ? pair.a : pair.b;
    socket.emit(event, { roomId: pair.roomId, to: from === 'a' ? pair.bId : pair.aId, ...body });
  };
  const onOffer = (p: Payload): void => {
    void (async () => {
      await pc2.setRemoteDescription({ type: 'offer', sdp: p.sdp ?? '' });
      remoteSet(pc2);
      const answer = await pc2.createAnswer();
      await pc2.setLocalDescription(answer);
      send('b', 'call:answer', { sdp: pc2.localDescription?.sdp ?? '' });
    })().catch(() => undefined);
  };
  const onAnswer = (p: Payload): void => {
    void pc1
      .setRemoteDescription({ type: 'answer', sdp: p.sdp ?? '' })
      .then(() => remoteSet(pc1))
      .catch(() => undefined);
  };
  const onCandB = (p: Payload): void => addCandidate(pc2, p.candidate ?? {});
  const onCandA = (p: Payload): void => addCandidate(pc1, p.candidate ?? {});
  pair.b.on('call:offer', onOffer);
  pair.a.on('call:answer', onAnswer);
  pair.b.on('call:ice-candidate', onCandB);
  pair.a.on('call:ice-candidate', onCandA);
  const trickle = (pc: RTCPeerConnection, from: 'a' | 'b'): void => {
    pc.onIceCandidate.subscribe((c: RTCIceCandidate | undefined) => {
      if (!c) return;
      const j = c.toJSON();
      send(from, 'call:ice-candidate', {
        candidate: { candidate: j.candidate, sdpMid: j.sdpMid, sdpMLineIndex: j.sdpMLineIndex },
      });
    });
  };
  trickle(pc1, 'a');
  trickle(pc2, 'b');
  const connected = (pc: RTCPeerConnection): Promise<void> =>
    new Promise((resolve) => {
      if (pc.connectionState === 'connected') return resolve();
      pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected') resolve();
      });
    });
  let timer: NodeJS.Timeout | undefined;
  try {
    pc1.createDataChannel('bench');
    const offer = await pc1.createOffer();
    await pc1.setLocalDescription(offer);
    send('a', 'call:offer', { sdp: pc1.localDescription?.sdp ?? '' });
    await Promise.race([
      Promise.all([connected(pc1), connected(pc2)]),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('peer connection timed out')), timeoutMs);
      }),
    ]);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  } finally {
    clearTimeout(timer);
    pair.b.off('call:offer', onOffer);
    pair.a.off('call:answer', onAnswer);
    pair.b.off('call:ice-candidate', onCandB);
    pair.a.off('call:ice-candidate', onCandA);
    await Promise.allSettled([pc1.close(), pc2.close()]);
  }
}

interface PeerRound {
  perSecond: number;
  connections: number;
  failures: number;
  latency: ReturnType<typeof latencySummary>;
}

async function runRound(pairs: Pair[], stun: string, seconds: number): Promise<PeerRound> {
  const times: number[] = [];
  let failures = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    pairs.map(async (p) => {
      while (Date.now() < end) {
        try {
          times.push(await connectOnce(p, stun));
        } catch {
          failures++;
        }
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    perSecond: times.length / elapsed,
    connections: times.length,
    failures,
    latency: latencySummary(times),
  };
}

export async function realPeers(lab: Lab): Promise<ScenarioResult> {
  const { rounds } = lab.settings;
  const seconds = lab.settings.quick ? 2 : 6;
  const count = lab.settings.quick ? 2 : 6;
  const coturn = await startCoturn();
  const stun = `stun:127.0.0.1:${coturn.port}`;
  const h = await lab.hekim(0);
  const bare = await lab.bareServer();
  const specs = await lab.pairs(h.url, count);
  const hekim = await openPairs(hekimSpecs(specs, h.url));
  const base = await openPairs(bareSpecs(specs, bare.url));
  try {
    const r = await alternate(
      rounds,
      () => runRound(hekim, stun, seconds),
      () => runRound(base, stun, seconds),
      lab.log,
    );
    const ratio = spread(
      pairedRatios(
        r.a.map((x) => x.perSecond),
        r.b.map((x) => x.perSecond),
      ),
    );
    const med = (xs: PeerRound[], f: (x: PeerRound) => number): number => median(xs.map(f));
    return {
      id: 's6',
      title: 'Real peers (werift) through the relay',
      rows: [
        {
          scenario: '6',
          metric: `peer connections/s (${count} pairs in parallel)`,
          hekim: fmt(med(r.a, (x) => x.perSecond)),
          baseline: fmt(med(r.b, (x) => x.perSecond)),
          ratio: fmtSpread(ratio, 2, '×'),
          bar: '≥ 0.8×',
          verdict: verdict(ratio.median >= 0.8),
        },
      ],
      ratios: [{ label: 'S6 werift', ratio, bar: 0.8 }],
      latencies: [
        {
          label: 'S6 offer→connected',
          hekim: {
            count: 0,
            p50: med(r.a, (x) => x.latency.p50),
            p90: med(r.a, (x) => x.latency.p90),
            p99: med(r.a, (x) => x.latency.p99),
            max: 0,
          },
          baseline: {
            count: 0,
            p50: med(r.b, (x) => x.latency.p50),
            p90: med(r.b, (x) => x.latency.p90),
            p99: med(r.b, (x) => x.latency.p99),
            max: 0,
          },
        },
      ],
      notes: [
        `werift peers in the harness process with a data channel, trickle ICE over the relay, STUN on a local coturn; ` +
          `failures: Hekim ${r.a.reduce((n, x) => n + x.failures, 0)}, baseline ${r.b.reduce((n, x) => n + x.failures, 0)}; ` +
          `offer→connected p50 ${fmt(med(r.a, (x) => x.latency.p50))} ms vs ${fmt(med(r.b, (x) => x.latency.p50))} ms`,
      ],
      data: { pairs: count, hekim: r.a, baseline: r.b, ratio },
    };
  } finally {
    await closePairs(hekim);
    await closePairs(base);
    await coturn.stop();
  }
}
