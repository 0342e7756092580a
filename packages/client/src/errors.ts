import type { AckError, ErrorCodeName } from './contract/signaling-events.js';

// A refusal from Hekim: the signaling acknowledgement's `error`, or a REST problem document.
export class HekimError extends Error {
  readonly code: ErrorCodeName | 'TIMEOUT' | 'DISCONNECTED';
  readonly retryAfter?: number;
  readonly reason?: string;

  constructor(error: {
    code: HekimError['code'];
    message: string;
    retryAfter?: number;
    reason?: string;
  }) {
    super(error.message);
    this.name = 'HekimError';
    this.code = error.code;
    if (error.retryAfter !== undefined) this.retryAfter = error.retryAfter;
    if (error.reason !== undefined) this.reason = error.reason;
  }

  static fromAck(error: AckError): HekimError {
    return new HekimError(error);
  }
}
