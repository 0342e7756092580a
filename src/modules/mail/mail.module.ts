import { Module } from '@nestjs/common';
import { EmailSender } from './email.sender';
import { MailboxController } from './mailbox.controller';

// The e-mail channel of the outbox (docs/notifications.md).
@Module({
  controllers: [MailboxController],
  providers: [EmailSender],
})
export class MailModule {}
