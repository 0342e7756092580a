// The pre-call check screen: the camera's picture, the microphone's level, one line per check
// with what to do when it failed, and a verdict. The checks are the SDK's precallCheck
// (camera, microphone, signaling, a TURN allocation and a loopback through the relay). "Join" goes on whatever the verdict (a
// person may still want to try); the patient's result is reported to their clinician's
// queue (POST /appointments/:id/precheck).
import {
  precallCheck,
  type PrecallReport,
  precheckSummary,
  type SignalingClient,
  type WebRtc,
} from '../../packages/client/src/index.js';
import type { Api } from './api.js';
import { t } from './i18n.js';
import type { LocalMedia } from './media.js';
import { byTestId, element, errorMessage, log, showScreen } from './view.js';

// The screen's lines; the SDK's signaling check is "connection", its TURN allocation and the
// loopback through it together are "relay" (shown only where Hekim hands out a TURN server).
type CheckName = 'camera' | 'microphone' | 'connection' | 'relay';
type CheckResult = { name: CheckName; ok: boolean };

const FIX: Record<CheckName, string> = {
  camera: 'precheck.cameraFix',
  microphone: 'precheck.micFix',
  connection: 'precheck.connectionFix',
  relay: 'precheck.relayFix',
};

export interface PrecheckContext {
  // The patient's appointment, to report the result to (none for a room or a guest).
  appointmentId?: string;
  onContinue(): void;
  onBack(): void;
}

export class PrecheckScreen {
  private context: PrecheckContext | undefined;
  private results: CheckResult[] = [];
  private stopLevel: () => void = () => undefined;
  private running = 0;

  constructor(
    private readonly api: Api,
    private readonly media: LocalMedia,
    private readonly webrtc: WebRtc,
    private readonly signaling: () => SignalingClient | undefined,
  ) {
    byTestId('precheck-continue').addEventListener('click', () => {
      const context = this.context;
      this.close();
      context?.onContinue();
    });
    byTestId('precheck-back').addEventListener('click', () => {
      const context = this.context;
      this.close();
      this.media.stop();
      context?.onBack();
    });
    byTestId('precheck-retry').addEventListener('click', () => void this.run());
  }

  async open(context: PrecheckContext): Promise<void> {
    this.context = context;
    showScreen('precheck');
    await this.run();
  }

  private close(): void {
    this.stopLevel();
    this.stopLevel = () => undefined;
    this.context = undefined;
    byTestId<HTMLVideoElement>('precheck-video').srcObject = null;
  }

  async run(): Promise<void> {
    const run = ++this.running;
    this.results = [];
    this.setVerdict('checking');
    this.render();
    let stream: MediaStream | undefined;
    try {
      stream = await this.media.start();
    } catch (error) {
      log(`pre-call check: media: ${errorMessage(error)}`);
    }
    byTestId<HTMLVideoElement>('precheck-video').srcObject = stream ?? null;
    this.stopLevel();
    if (stream) {
      const meter = byTestId<HTMLMeterElement>('precheck-level');
      this.stopLevel = watchLevel(stream, (level) => (meter.value = level));
    }
    const signaling = this.signaling();
    let report: PrecallReport;
    try {
      report = await precallCheck({
        webrtc: this.webrtc,
        iceServers: () => this.api.iceServers().then((answer) => answer.iceServers),
        ...(signaling ? { signaling } : {}),
        timeoutMs: 5000,
      });
    } catch (error) {
      log(`pre-call check: ${errorMessage(error)}`);
      return;
    }
    if (run !== this.running) return;
    const results = screenResults(report);
    this.results = results;
    // The relay is advice (many networks do not need it); the rest must work.
    const passed = results.filter((r) => r.name !== 'relay').every((r) => r.ok);
    this.setVerdict(passed ? 'passed' : 'problems');
    log(`pre-call check: ${report.verdict}; ${precheckSummary(report).details}`);
    const appointmentId = this.context?.appointmentId;
    if (appointmentId) {
      await this.api
        .precheck(appointmentId, passed, precheckSummary(report).details)
        .catch((error: unknown) => log(`pre-call report: ${errorMessage(error)}`));
    }
  }

  render(): void {
    const names: CheckName[] = ['camera', 'microphone', 'connection', 'relay'];
    byTestId('precheck-list').replaceChildren(
      ...names
        .filter((name) => name !== 'relay' || this.results.some((r) => r.name === 'relay'))
        .map((name) => {
          const result = this.results.find((r) => r.name === name);
          const item = element('li');
          item.dataset.testid = 'precheck-item';
          item.dataset.check = name;
          if (result) item.dataset.ok = String(result.ok);
          const label = element('strong', t(`precheck.${name}`));
          const outcome = element(
            'span',
            result ? t(result.ok ? 'precheck.ok' : 'precheck.failed') : t('precheck.checking'),
            'result',
          );
          item.append(label, ': ', outcome);
          if (result && !result.ok) item.append(element('span', t(FIX[name]), 'fix'));
          return item;
        }),
    );
    const v = byTestId('precheck-verdict');
    const state = v.dataset.verdict ?? 'checking';
    v.textContent =
      state === 'passed'
        ? t('precheck.passed')
        : state === 'problems'
          ? t('precheck.problems')
          : t('precheck.checking');
  }

  private setVerdict(state: 'checking' | 'passed' | 'problems'): void {
    byTestId('precheck-verdict').dataset.verdict = state;
    this.render();
  }
}

// The SDK's checks as the screen's lines.
function screenResults(report: PrecallReport): CheckResult[] {
  const status = (name: string) => report.checks.find((c) => c.name === name)?.status;
  const results: CheckResult[] = [
    { name: 'camera', ok: status('camera') === 'pass' },
    { name: 'microphone', ok: status('microphone') === 'pass' },
    { name: 'connection', ok: status('signaling') === 'pass' },
  ];
  if (status('turn') !== 'skipped') {
    results.push({ name: 'relay', ok: status('turn') === 'pass' && status('media') !== 'fail' });
  }
  return results;
}

// A live microphone level between 0 and 1, sampled on every animation frame until stopped.
function watchLevel(stream: MediaStream, onLevel: (level: number) => void): () => void {
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
