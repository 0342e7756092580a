import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditAction, AuditOutcome } from '../../src/modules/audit/audit-action';
import type { ExportFormat } from '../../src/modules/audit/export/audit-export-format';
import { AuditTrailService } from '../../src/modules/audit/export/audit-trail.service';
import { AuditService, type AuditEventInput } from '../../src/modules/audit/audit.service';
import type { TestApp } from '../support/test-app';

export const ctx = { actor: { userId: null, role: 'compliance_officer', ip: '127.0.0.1' } };

export function sampleEvent(i: number): AuditEventInput {
  return {
    action: AuditAction.AuthLogin,
    outcome: i % 3 === 0 ? AuditOutcome.Failure : AuditOutcome.Success,
    actor: {
      userId: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10',
      role: 'doctor',
      ip: '203.0.113.7',
      userAgent: `agent ${i}`,
    },
    resource: { type: 'user', id: `u-${i}` },
    subjectId: '0e8f5c1a-2b3c-4d5e-8f70-1a2b3c4d5e6f',
    requestId: `req-${i}`,
    details: { i, method: 'password' },
  };
}

export async function recordMany(t: TestApp, n: number, from = 0): Promise<void> {
  const audit = t.app.get(AuditService);
  for (let i = from; i < from + n; i++) await audit.record(sampleEvent(i));
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'hekim-audit-'));
}

// Exports through the service and writes the stream to a file.
export async function exportToFile(
  t: TestApp,
  format: ExportFormat,
  dir: string,
  range: { from?: Date; to?: Date } = {},
): Promise<{ path: string; filename: string; text: string }> {
  const file = await t.app.get(AuditTrailService).export(format, range, ctx);
  // NDJSON lines come as bytes that may split a character: joined as bytes, then decoded.
  const parts: Buffer[] = [];
  for await (const chunk of file.body) parts.push(Buffer.from(chunk));
  const text = Buffer.concat(parts).toString('utf8');
  const path = join(dir, `${format}-${Math.random().toString(36).slice(2)}-${file.filename}`);
  await writeFile(path, text);
  return { path, filename: file.filename, text };
}

export async function writeLines(dir: string, name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.join('\n') + '\n');
  return path;
}
