import { Injectable } from '@nestjs/common';
import type { CountryCode } from 'libphonenumber-js';
import { AppConfig } from '../../config/app-config';
import { ChannelSender, DeliveryError, type OutboundMessage } from '../outbox/channel-sender';
import { OutboxChannel } from '../outbox/outbox-message.entity';
import { LOCALES, type Locale } from '../users/user.entity';
import { normalizePhone } from './phone-number';
import { isSmsKind, renderSms } from './sms-templates';

const TIMEOUT_MS = 10_000;

// The SMS channel: one JSON POST per message to the operator's HTTP SMS gateway
// (docs/notifications.md): `{to, text, messageId}` with `Authorization: Bearer
// SMS_GATEWAY_TOKEN` and `Idempotency-Key: <messageId>`. 2xx is accepted; a 4xx other than
// 408 and 429 refuses the message for good; anything else is retried by the outbox.
// Ready only when SMS_GATEWAY_URL is set.
@Injectable()
export class SmsSender extends ChannelSender {
  readonly channel = OutboxChannel.Sms;

  constructor(private readonly config: AppConfig) {
    super();
  }

  override isReady(): boolean {
    return Boolean(this.config.sms.gatewayUrl);
  }

  async send(message: OutboundMessage): Promise<void> {
    if (!isSmsKind(message.kind)) throw new DeliveryError('UNKNOWN_KIND', true);
    const to = normalizePhone(message.recipient, this.config.sms.defaultCountry as CountryCode);
    if (!to) throw new DeliveryError('INVALID_NUMBER', true);
    const requested = message.payload.locale;
    const locale: Locale = LOCALES.includes(requested as Locale)
      ? (requested as Locale)
      : this.config.mail.defaultLocale;
    const text = renderSms(message.kind, locale, message.payload, this.config.mail.appBaseUrl);
    let res: Response;
    try {
      res = await fetch(this.config.sms.gatewayUrl as string, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.config.sms.gatewayToken ?? ''}`,
          'idempotency-key': message.idempotencyKey,
        },
        body: JSON.stringify({ to, text, messageId: message.idempotencyKey }),
      });
      await res.body?.cancel();
    } catch (err) {
      const name =
        err instanceof Error && err.name === 'TimeoutError' ? 'TIMEOUT' : 'CONNECTION_FAILED';
      throw new DeliveryError(name, false, { cause: err });
    }
    if (res.status >= 200 && res.status < 300) return;
    const permanent = res.status >= 400 && res.status < 500 && ![408, 429].includes(res.status);
    throw new DeliveryError(`HTTP_${res.status}`, permanent);
  }
}
