// The direct-call part of the app: the incoming-call dialog with the caller's name, the
// call's status line and the missed-call notice. It only renders and reports clicks; main.ts
// does the signaling.
import { t } from './i18n.js';
import { byTestId, setText, show } from './view.js';

export type CallStatus =
  | 'idle'
  | 'ringing'
  | 'incoming'
  | 'active'
  | 'ended'
  | 'rejected'
  | 'missed'
  | 'cancelled'
  | 'answered-elsewhere';

export interface IncomingCall {
  callId: string;
  fromName: string;
  type: 'audio' | 'video';
}

export class CallUi {
  private incoming: IncomingCall | undefined;
  private status: CallStatus = 'idle';
  private name = '';
  private byMe = false;

  constructor(handlers: {
    onAccept(call: IncomingCall): void;
    onReject(call: IncomingCall): void;
    onCancel(): void;
    onHangUp(): void;
  }) {
    byTestId('call-accept').addEventListener('click', () => {
      if (this.incoming) handlers.onAccept(this.incoming);
    });
    byTestId('call-reject').addEventListener('click', () => {
      if (this.incoming) handlers.onReject(this.incoming);
    });
    // Escape on the dialog declines, as the Decline button would.
    this.dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      if (this.incoming) handlers.onReject(this.incoming);
    });
    byTestId('call-cancel').addEventListener('click', () => handlers.onCancel());
    byTestId('call-hangup').addEventListener('click', () => handlers.onHangUp());
  }

  private get dialog(): HTMLDialogElement {
    return byTestId<HTMLDialogElement>('incoming-call');
  }

  ring(call: IncomingCall): void {
    this.incoming = call;
    this.name = call.fromName;
    setText(
      'incoming-call-from',
      t(call.type === 'audio' ? 'call.incomingAudioFrom' : 'call.incomingFrom', {
        name: call.fromName,
      }),
    );
    if (!this.dialog.open) this.dialog.showModal();
    this.setStatus('incoming');
  }

  dismissIncoming(): void {
    this.incoming = undefined;
    if (this.dialog.open) this.dialog.close();
  }

  // `name`: the other person; `byMe`: I rejected or cancelled it myself.
  setStatus(status: CallStatus, options: { name?: string; byMe?: boolean } = {}): void {
    this.status = status;
    if (options.name !== undefined) this.name = options.name;
    this.byMe = options.byMe ?? false;
    const el = byTestId('call-status');
    el.dataset.status = status;
    this.render();
    show('call-cancel', status === 'ringing');
    show('call-hangup', status === 'active');
    // While ringing, Leave cancels the call; once answered, Hang up ends it.
    show('leave', status !== 'active');
    if (status !== 'incoming') this.dismissIncoming();
  }

  render(): void {
    const key =
      this.byMe && (this.status === 'rejected' || this.status === 'cancelled')
        ? `call.status.${this.status}ByYou`
        : `call.status.${this.status}`;
    setText('call-status', t(key, { name: this.name || t('call.someone') }));
  }

  missed(fromName: string): void {
    setText('missed-call', t('call.missedFrom', { name: fromName }));
    show('missed-call', true);
  }
}
