// The direct-call part of the page: ringing, the incoming-call prompt, the call status and
// the missed-call notice. It only renders and reports clicks; main.ts does the signaling.
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
    byTestId('call-cancel').addEventListener('click', () => handlers.onCancel());
    byTestId('call-hangup').addEventListener('click', () => handlers.onHangUp());
  }

  ring(call: IncomingCall): void {
    this.incoming = call;
    setText('incoming-call-from', `${call.fromName} is calling (${call.type})`);
    show('incoming-call', true);
    this.setStatus('incoming');
  }

  dismissIncoming(): void {
    this.incoming = undefined;
    show('incoming-call', false);
  }

  setStatus(status: CallStatus, detail = ''): void {
    const el = byTestId('call-status');
    el.dataset.status = status;
    el.textContent = detail ? `${status} (${detail})` : status;
    show('call-cancel', status === 'ringing');
    show('call-hangup', status === 'active');
    if (status !== 'incoming') this.dismissIncoming();
  }

  missed(fromName: string): void {
    setText('missed-call', `Missed call from ${fromName}`);
    show('missed-call', true);
  }
}
