// The pre-call check screen: the camera's picture, the microphone's level, one line per check
// with what to do when it failed, and a verdict. "Join" goes on whatever the verdict (a
// person may still want to try); the patient's result is reported to their clinician's
// queue (POST /appointments/:id/precheck).
import type { Api } from './api.js';
import { t } from './i18n.js';
import type { LocalMedia } from './media.js';
import {
  cameraWorks,
  type CheckName,
  type CheckResult,
  microphoneWorks,
  relayWorks,
  verdict,
  watchLevel,
} from './precheck.js';
import { byTestId, element, errorMessage, log, showScreen } from './view.js';

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
    private readonly signalingConnected: () => boolean,
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
    const results: CheckResult[] = [
      { name: 'camera', ok: cameraWorks(stream) },
      { name: 'microphone', ok: microphoneWorks(stream) },
      { name: 'connection', ok: this.signalingConnected() },
    ];
    this.results = results;
    this.render();
    const relay = await relayWorks(this.api).catch((error: unknown) => {
      log(`pre-call check: relay: ${errorMessage(error)}`);
      return false;
    });
    if (run !== this.running) return;
    if (relay !== undefined) results.push({ name: 'relay', ok: relay });
    this.results = results;
    this.render();
    const passed = verdict(results);
    this.setVerdict(passed ? 'passed' : 'problems');
    log(`pre-call check: ${results.map((r) => `${r.name} ${r.ok ? 'ok' : 'failed'}`).join(', ')}`);
    const appointmentId = this.context?.appointmentId;
    if (appointmentId) {
      const details = results.map((r) => `${r.name} ${r.ok ? 'ok' : 'failed'}`).join('; ');
      await this.api
        .precheck(appointmentId, passed, details)
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
