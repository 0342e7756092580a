// The consent step of a patient's sign-in (KVKK/GDPR, docs/compliance.md). Hekim refuses
// a patient's room join or call answer with CONSENT_REQUIRED until they hold an active
// `telemedicine` consent, so the page asks first: GET /consents/me lists the texts still to
// accept (`required`); "I agree" grants each of them with POST /consents {purpose, version}.
// A server without consent support answers 404 and the step is skipped.
import { type Api, ApiError } from './api.js';
import type { ConsentsResponse } from './types.js';
import { byTestId, errorMessage } from './view.js';

export type ConsentStatus = 'checking' | 'required' | 'granted' | 'not-needed' | 'unsupported';

export class ConsentStep {
  private required: ConsentsResponse['required'] = [];

  constructor(
    private readonly api: Api,
    private readonly log: (message: string) => void,
  ) {
    byTestId('consent-agree').addEventListener('click', () => void this.agree());
  }

  get status(): ConsentStatus {
    return (byTestId('consent-panel').dataset.status ?? 'checking') as ConsentStatus;
  }

  // Shows the texts still to accept, if any. Resolves once the status is known.
  async check(): Promise<void> {
    this.setStatus('checking');
    let answer: ConsentsResponse;
    try {
      answer = await this.api.consents();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.setStatus('unsupported');
        return;
      }
      throw error;
    }
    this.required = answer.required;
    const list = byTestId('consent-texts');
    list.replaceChildren(
      ...answer.required.map((c) => {
        const item = document.createElement('li');
        item.dataset.purpose = c.purpose;
        item.textContent = `${c.text} (${c.purpose}, version ${c.version})`;
        return item;
      }),
    );
    this.setStatus(answer.required.length > 0 ? 'required' : 'not-needed');
  }

  private async agree(): Promise<void> {
    try {
      for (const c of this.required) {
        await this.api.grantConsent(c.purpose, c.version);
        this.log(`consent granted: ${c.purpose} v${c.version}`);
      }
      this.required = [];
      this.setStatus('granted');
    } catch (error) {
      this.log(`consent failed: ${errorMessage(error)}`);
    }
  }

  // Only patients consent to being treated; other roles have nothing to accept here.
  skip(): void {
    this.setStatus('not-needed');
  }

  private setStatus(status: ConsentStatus): void {
    const panel = byTestId('consent-panel');
    panel.dataset.status = status;
    panel.hidden = status !== 'required';
  }
}
