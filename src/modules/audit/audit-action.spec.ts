import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditAction } from './audit-action';

// docs/audit.md is the auditor's list of actions: it must name every one the code records.
describe('AuditAction', () => {
  it('is documented in docs/audit.md, every value of it', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'audit.md'), 'utf8');
    const missing = Object.values(AuditAction).filter((a) => !doc.includes(`\`${a}\``));
    expect(missing).toEqual([]);
  });
});
