import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { ApiProblem } from '../../common/errors/problem.response';
import { AppConfig } from '../../config/app-config';
import { MailboxListResponse, MailboxQuery } from './dto/mailbox.dto';
import { mailboxDir, type MailboxEntry } from './email.sender';

// The local mailbox of development, for the demo page: newcomers see the mails Hekim would
// have sent (a password reset link, a verification link). It exists only outside production
// and without SMTP_URL; anywhere else it answers 404.
@ApiTags('development')
@SkipThrottle()
@Controller('dev/mailbox')
export class MailboxController {
  constructor(private readonly config: AppConfig) {}

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'listDevMailbox',
    summary:
      'Development only (no SMTP_URL, not production): the mails in the local mailbox, newest first',
  })
  @ApiOkResponse({ type: MailboxListResponse })
  @ApiProblem(404, 'Not in development, or SMTP_URL is set (NOT_FOUND).')
  async list(@Query() query: MailboxQuery): Promise<MailboxListResponse> {
    if (!this.config.mail.localMailbox) throw AppException.notFound('The mailbox');
    const dir = mailboxDir(this.config.dataDir);
    const names = await readdir(dir).catch(() => [] as string[]);
    const entries = await Promise.all(
      names
        .filter((n) => n.endsWith('.json'))
        .map(
          async (n) =>
            JSON.parse(
              await readFile(join(dir, n), 'utf8').catch(() => 'null'),
            ) as MailboxEntry | null,
        ),
    );
    const to = query.to?.toLowerCase();
    const items = entries
      .filter((e): e is MailboxEntry => e !== null && (!to || e.to.toLowerCase() === to))
      .sort((a, b) => b.date.localeCompare(a.date))
      .slice(0, query.limit ?? 20);
    return { items };
  }
}
