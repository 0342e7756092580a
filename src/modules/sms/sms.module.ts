import { Module } from '@nestjs/common';
import { SmsSender } from './sms.sender';

// The SMS channel of the outbox (docs/notifications.md).
@Module({ providers: [SmsSender] })
export class SmsModule {}
