import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { AuditRecordRecipient } from '../access-report/access-report.service';

// Names the SIEM collector, when one is configured, as a recipient of every audit record: the
// access report (C11) and the processing inventory (C18) list it (docs/siem.md).
@Injectable()
export class SiemRecipient extends AuditRecordRecipient {
  constructor(private readonly config: AppConfig) {
    super();
  }

  recipient(): string | null {
    const siem = this.config.siem;
    if (!siem) return null;
    const host = siem.host.includes(':') ? `[${siem.host}]` : siem.host;
    return `siem:${host}:${siem.port}`;
  }
}
