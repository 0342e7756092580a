// The pre-call check (WebRTC side, no UI): camera, microphone (with a live level), the
// signaling connection and a TURN allocation with fresh credentials (GET /ice-servers, then
// a relay-only peer connection must gather a relay candidate). The verdict is what a patient
// can act on: each failed check comes with what to do about it (precheck-screen.ts).
import type { Api } from './api.js';

export type CheckName = 'camera' | 'microphone' | 'connection' | 'relay';
export type CheckResult = { name: CheckName; ok: boolean };

const RELAY_TIMEOUT_MS = 5000;

export function cameraWorks(stream: MediaStream | undefined): boolean {
  return stream?.getVideoTracks().some((t) => t.readyState === 'live') ?? false;
}

export function microphoneWorks(stream: MediaStream | undefined): boolean {
  return stream?.getAudioTracks().some((t) => t.readyState === 'live') ?? false;
}

// Gathers candidates through the TURN servers only; true once one relay candidate arrives.
// `undefined` when Hekim hands out no TURN server (nothing to check).
export async function relayWorks(api: Api): Promise<boolean | undefined> {
  const { iceServers } = await api.iceServers();
  const turn = iceServers.filter((s) =>
    (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^turns?:/.test(u)),
  );
  if (turn.length === 0) return undefined;
  const pc = new RTCPeerConnection({ iceServers: turn, iceTransportPolicy: 'relay' });
  try {
    pc.createDataChannel('precheck');
    const found = new Promise<boolean>((resolve) => {
      const timer = window.setTimeout(() => resolve(false), RELAY_TIMEOUT_MS);
      pc.onicecandidate = ({ candidate }) => {
        if (candidate?.type === 'relay') {
          window.clearTimeout(timer);
          resolve(true);
        } else if (!candidate) {
          window.clearTimeout(timer);
          resolve(false);
        }
      };
    });
    await pc.setLocalDescription(await pc.createOffer());
    return await found;
  } finally {
    pc.close();
  }
}

// A live microphone level between 0 and 1, sampled on every animation frame until stopped.
export function watchLevel(stream: MediaStream, onLevel: (level: number) => void): () => void {
  const AudioCtx = window.AudioContext;
  if (!AudioCtx || stream.getAudioTracks().length === 0) return () => undefined;
  const context = new AudioCtx();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(stream).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  let frame = 0;
  const tick = (): void => {
    analyser.getByteTimeDomainData(data);
    let peak = 0;
    for (const v of data) peak = Math.max(peak, Math.abs(v - 128) / 128);
    onLevel(peak);
    frame = window.requestAnimationFrame(tick);
  };
  tick();
  return () => {
    window.cancelAnimationFrame(frame);
    void context.close();
  };
}

export function verdict(results: readonly CheckResult[]): boolean {
  // The relay is advice (many networks do not need it); the rest must work.
  return results.filter((r) => r.name !== 'relay').every((r) => r.ok);
}
