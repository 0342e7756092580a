// Account mails on the demo page (docs/notifications.md): the links of verification and
// reset mails open this page with `?verify=<token>` or `?reset=<token>`, and in development
// the local mailbox (GET /dev/mailbox) shows what Hekim would have sent.
import type { Api } from './api.js';
import { friendlyError } from './errors.js';
import { t } from './i18n.js';
import { byTestId, errorMessage, inputValue, log, notify, show } from './view.js';

const URL_IN_TEXT = /https?:\/\/[^\s]+/g;

// The mail's text with its links made clickable (built as DOM nodes, never as HTML).
function renderText(text: string): HTMLElement {
  const pre = document.createElement('pre');
  let at = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    pre.append(text.slice(at, match.index));
    const a = document.createElement('a');
    a.href = match[0];
    a.textContent = match[0];
    pre.append(a);
    at = (match.index ?? 0) + match[0].length;
  }
  pre.append(text.slice(at));
  return pre;
}

async function loadMailbox(api: Api): Promise<void> {
  try {
    const { items } = await api.mailbox();
    const list = byTestId('mailbox-list');
    list.replaceChildren(
      ...items.map((mail) => {
        const item = document.createElement('li');
        const head = document.createElement('strong');
        head.textContent = `${mail.subject} → ${mail.to}`;
        item.append(head, renderText(mail.text));
        return item;
      }),
    );
    show('mailbox-panel', true);
  } catch {
    // 404: the server sends real mail; the panel stays hidden.
    show('mailbox-panel', false);
  }
}

export function wireMailbox(api: Api): void {
  const params = new URLSearchParams(location.search);
  const verify = params.get('verify');
  if (verify) {
    api.verifyEmail(verify).then(
      () => {
        log('e-mail address verified: sign in');
        notify(t('auth.verified'));
      },
      (error: unknown) => {
        log(`verification failed: ${errorMessage(error)}`);
        notify(friendlyError(error));
      },
    );
  }
  const reset = params.get('reset');
  show('reset-form', reset !== null);
  byTestId<HTMLFormElement>('reset-form').addEventListener('submit', (event) => {
    event.preventDefault();
    api.resetPassword(reset ?? '', byTestId<HTMLInputElement>('reset-password').value).then(
      () => {
        log('password changed: sign in with the new one');
        notify(t('auth.resetDone'));
        show('reset-form', false);
      },
      (error: unknown) => {
        log(`reset failed: ${errorMessage(error)}`);
        notify(friendlyError(error));
      },
    );
  });
  byTestId<HTMLFormElement>('forgot-form').addEventListener('submit', (event) => {
    event.preventDefault();
    api.forgotPassword(inputValue('forgot-email')).then(
      () => {
        log('if the address has an account, a reset link is on its way');
        notify(t('auth.forgotSent'));
        void loadMailbox(api);
      },
      (error: unknown) => {
        log(`forgot password: ${errorMessage(error)}`);
        notify(friendlyError(error));
      },
    );
  });
  byTestId('mailbox-refresh').addEventListener('click', () => void loadMailbox(api));
  void loadMailbox(api);
}
