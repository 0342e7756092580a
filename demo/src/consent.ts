// The consent step of a patient's sign-in (KVKK/GDPR, docs/compliance.md). Hekim refuses
// a patient's room join or call answer with CONSENT_REQUIRED until they hold an active
// `telemedicine` consent, so the app asks first: GET /consents/me lists the texts still to
// decide (`required`). Each purpose is its own question, with its plain-language title and
// its full text shown, and its own "I agree" / "I do not agree": agreeing grants that one
// purpose (POST /consents {purpose, version}); declining grants nothing. A server without
// consent support answers 404 and the step is skipped.
import { HekimError } from '../../packages/client/src/index.js';
import type { Api } from './api.js';
import { friendlyError } from './errors.js';
import { t } from './i18n.js';
import type { ConsentsResponse } from './types.js';
import { button, byTestId, element, errorMessage, notify } from './view.js';

export type ConsentStatus =
  'checking' | 'required' | 'granted' | 'declined' | 'not-needed' | 'unsupported';

type Required = ConsentsResponse['required'][number];

export class ConsentStep {
  private required: Required[] = [];
  private readonly decisions = new Map<string, 'granted' | 'declined'>();

  constructor(
    private readonly api: Api,
    private readonly log: (message: string) => void,
  ) {}

  get status(): ConsentStatus {
    return (byTestId('consent-panel').dataset.status ?? 'checking') as ConsentStatus;
  }

  // Shows the texts still to decide, if any. Resolves once the status is known.
  async check(): Promise<void> {
    this.setStatus('checking');
    let answer: ConsentsResponse;
    try {
      answer = await this.api.consents();
    } catch (error) {
      if (error instanceof HekimError && error.code === 'NOT_FOUND') {
        this.setStatus('unsupported');
        return;
      }
      throw error;
    }
    this.required = answer.required;
    this.decisions.clear();
    this.render();
    this.setStatus(answer.required.length > 0 ? 'required' : 'not-needed');
  }

  // Re-renders in the current language.
  render(): void {
    byTestId('consent-texts').replaceChildren(...this.required.map((c) => this.item(c)));
  }

  private item(c: Required): HTMLLIElement {
    const item = document.createElement('li');
    item.dataset.testid = 'consent-item';
    item.dataset.purpose = c.purpose;
    const decision = this.decisions.get(c.purpose);
    if (decision) item.dataset.decision = decision;
    const headingId = `consent-${c.purpose}`;
    const title = element('h3', purposeTitle(c.purpose));
    title.id = headingId;
    const text = element('p', c.text, 'text');
    text.dataset.testid = 'consent-text';
    item.append(title, text, element('p', t('consent.version', { version: c.version }), 'version'));
    if (decision) {
      const outcome = element(
        'p',
        t(decision === 'granted' ? 'consent.agreed' : 'consent.declined'),
        'outcome',
      );
      outcome.dataset.testid = 'consent-outcome';
      item.append(outcome);
    }
    if (decision !== 'granted') {
      const row = element('div', undefined, 'decision');
      row.setAttribute('role', 'group');
      row.setAttribute('aria-labelledby', headingId);
      row.append(
        button('consent-agree', t('consent.agree'), () => void this.agree(c), 'ok'),
        button('consent-decline', t('consent.decline'), () => this.decline(c), 'secondary'),
      );
      item.append(row);
    }
    return item;
  }

  private async agree(c: Required): Promise<void> {
    try {
      await this.api.grantConsent(c.purpose, c.version);
      this.log(`consent granted: ${c.purpose} v${c.version}`);
      this.decisions.set(c.purpose, 'granted');
      this.settle();
    } catch (error) {
      this.log(`consent failed: ${errorMessage(error)}`);
      notify(friendlyError(error));
    }
  }

  private decline(c: Required): void {
    this.decisions.set(c.purpose, 'declined');
    this.log(`consent declined: ${c.purpose}`);
    this.settle();
  }

  // Every purpose decided: granted if all were agreed to, declined otherwise (the panel
  // stays, so a declined purpose can still be agreed to).
  private settle(): void {
    this.render();
    if (this.required.some((c) => !this.decisions.has(c.purpose))) return;
    const all = this.required.every((c) => this.decisions.get(c.purpose) === 'granted');
    this.setStatus(all ? 'granted' : 'declined');
    if (all) notify(t('consent.done'));
  }

  // Only patients consent to being treated; other roles have nothing to accept here.
  skip(): void {
    this.setStatus('not-needed');
  }

  private setStatus(status: ConsentStatus): void {
    const panel = byTestId('consent-panel');
    panel.dataset.status = status;
    panel.hidden = status !== 'required' && status !== 'declined';
  }
}

// A purpose's plain-language title; an unknown purpose still gets a readable line.
export function purposeTitle(purpose: string): string {
  return t(`consent.purposes.${purpose}`, {
    defaultValue: t('consent.purposeOther', { purpose: purpose.replace(/_/g, ' ') }),
  });
}
