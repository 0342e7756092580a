import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/errors/error-code';
import { AuditAction } from '../../src/modules/audit/audit-action';
import { WEBHOOK_EVENTS } from '../../src/modules/webhooks/webhook-events';
import { handledEvents } from '../support/gateway-events';
import { listRoutes } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';

// The repository carries its own contract (docs/contract.md): what the running app serves is
// what the docs say, so a route, an error code, a signaling event or an audit action added
// without its documentation fails here; so does a webhook event.
const doc = (name: string): string =>
  readFileSync(join(__dirname, '..', '..', 'docs', name), 'utf8');

describe('platform: the docs describe the contract the code implements', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('lists every route the app serves, and no route it does not serve', () => {
    const contract = doc('contract.md');
    const served = listRoutes(t.app).map((r) => `${r.method} ${r.path}`);
    const documented = [...contract.matchAll(/^\| `([A-Z]+ \/[^`]*)` +\|/gm)].map((m) => m[1]);
    expect(served.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
  });

  it('gives every error code its line', () => {
    const contract = doc('contract.md');
    const missing = Object.values(ErrorCode).filter(
      (code) => !new RegExp(`^\\| \`${code}\` +\\| \\d{3} +\\|`, 'm').test(contract),
    );
    expect(missing).toEqual([]);
  });

  it('mentions every signaling event the gateway handles in docs/signaling.md', () => {
    const signaling = doc('signaling.md');
    expect(handledEvents().filter((event) => !signaling.includes(`\`${event}`))).toEqual([]);
  });

  it('mentions every audit action in docs/audit.md', () => {
    const audit = doc('audit.md');
    expect(Object.values(AuditAction).filter((a) => !audit.includes(a))).toEqual([]);
  });

  it('gives every webhook event of the catalogue its row in docs/notifications.md', () => {
    const events = doc('notifications.md');
    const rows = events.slice(events.indexOf('### Events'), events.indexOf('### Where webhooks'));
    expect(
      WEBHOOK_EVENTS.filter((e) => !new RegExp(`^\\| [^\\n]*\`${e}\``, 'm').test(rows)),
    ).toEqual([]);
  });
});
