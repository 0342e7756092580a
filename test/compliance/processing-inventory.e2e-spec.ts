import { parse } from 'csv-parse/sync';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { PersonalDataRegistry } from '../../src/common/personal-data/personal-data-registry';
import { AuditAction } from '../../src/modules/audit/audit-action';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { auditRecords } from './privacy-support';

interface Activity {
  section: string;
  tables: string[];
  dataCategories: string[];
  dataSubjects: string[];
  purposes: string[];
  legalBases: string[];
  retention: string;
  recipients: string[];
  transfersAbroad: { processor: string; hosts: string[]; country: string | null }[];
  securityMeasures: string[];
}
interface Inventory {
  generatedAt: string;
  homeCountry: string;
  processors: {
    processor: string;
    hosts: string[];
    country: string | null;
    transferAbroad: boolean | null;
  }[];
  activities: Activity[];
}

// The same test of "mentions a person" as the data export's completeness test: a foreign key
// to users, or a column named like a person.
const PERSON_COLUMN = String.raw`^(user_id|.+_user_id|actor_id|subject_id|caller_id|callee_id|host_id|patient_id|doctor_id|.+_by_id|.+_by|email|recipient)$`;

// C18 (docs/compliance.md): the processing inventory, generated from the declarations of every
// personal-data contributor and from the providers configured now.
describe('compliance: processing inventory', () => {
  let t: TestApp;
  let officer: SignedIn;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        SMS_GATEWAY_URL: 'https://sms.example.test/send',
        SMS_GATEWAY_TOKEN: 'sms-gateway-test-token-0123456789',
        PROCESSING_HOME_COUNTRY: 'TR',
        PROCESSOR_COUNTRIES: 'sms=DE',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      },
    });
    officer = await signIn(t, Role.ComplianceOfficer);
    admin = await signIn(t, Role.Admin);
    const hook = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(authHeader(admin.accessToken))
      .send({ url: 'http://127.0.0.1:9/ehr', events: ['consent.*'] });
    expect(hook.status).toBe(201);
  });
  afterAll(() => t.close());

  const get = (who: SignedIn, q = '') =>
    t.http().get(`/api/v1/compliance/processing-inventory${q}`).set(authHeader(who.accessToken));

  it('describes every table that holds personal data: a table nobody describes fails here', async () => {
    const res = await get(officer);
    expect(res.status).toBe(200);
    const inv = res.body as Inventory;
    const db = t.app.get(DataSource);
    const personal = (
      await db.query<{ table: string }[]>(
        `SELECT DISTINCT tc.table_name AS "table"
           FROM information_schema.table_constraints tc
           JOIN information_schema.constraint_column_usage ccu
             ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
          WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'
            AND ccu.table_name = 'users' AND ccu.column_name = 'id'
         UNION
         SELECT DISTINCT c.table_name
           FROM information_schema.columns c
           JOIN information_schema.tables tb
             ON tb.table_name = c.table_name AND tb.table_schema = c.table_schema
          WHERE c.table_schema = 'public' AND tb.table_type = 'BASE TABLE'
            AND c.column_name ~ $1`,
        [PERSON_COLUMN],
      )
    ).map((r) => r.table);
    expect(personal).toEqual(
      expect.arrayContaining(['users', 'audit_events', 'compliance_alerts']),
    );
    const described = new Set(inv.activities.flatMap((a) => a.tables));
    expect(personal.filter((table) => !described.has(table)).sort()).toEqual([]);
    // One activity per contributor, each fully described.
    const registry = t.app.get(PersonalDataRegistry);
    expect(inv.activities.map((a) => a.section).sort()).toEqual(
      registry
        .all()
        .map((c) => c.section)
        .sort(),
    );
    for (const a of inv.activities) {
      expect({ section: a.section, ok: true }).toEqual({
        section: a.section,
        ok:
          a.dataCategories.length > 0 &&
          a.dataSubjects.length > 0 &&
          a.purposes.length > 0 &&
          a.legalBases.length > 0 &&
          a.retention.length > 0 &&
          a.recipients.length > 0 &&
          a.securityMeasures.length >= 3,
      });
    }
    // Health data has a health-care or explicit-consent ground (KVKK art. 6).
    for (const a of inv.activities.filter((x) => x.dataCategories.includes('health'))) {
      expect(
        a.legalBases.some((b) =>
          ['health_care', 'explicit_consent', 'vital_interest', 'legal_obligation'].includes(b),
        ),
      ).toBe(true);
    }
  });

  it('derives recipients and transfers abroad from the configured providers', async () => {
    const inv = (await get(officer)).body as Inventory;
    expect(inv.homeCountry).toBe('TR');
    const processor = (p: string) => inv.processors.find((x) => x.processor === p);
    expect(processor('sms')).toEqual({
      processor: 'sms',
      hosts: ['sms.example.test'],
      country: 'DE',
      transferAbroad: true,
    });
    // Declared nowhere: the country is unknown, which the inventory says rather than guesses.
    expect(processor('webhooks')).toEqual({
      processor: 'webhooks',
      hosts: ['127.0.0.1:9'],
      country: null,
      transferAbroad: null,
    });
    expect(processor('smtp')).toMatchObject({ hosts: [], transferAbroad: false });
    expect(processor('siem')).toMatchObject({ hosts: [], transferAbroad: false });
    const messages = inv.activities.find((a) => a.section === 'messages')!;
    expect(messages.recipients).toEqual(
      expect.arrayContaining(['sms: sms.example.test', 'webhooks: 127.0.0.1:9']),
    );
    expect(messages.transfersAbroad).toEqual(
      expect.arrayContaining([{ processor: 'sms', hosts: ['sms.example.test'], country: 'DE' }]),
    );
    // A table no provider receives transfers nothing.
    expect(inv.activities.find((a) => a.section === 'patientProfile')!.transfersAbroad).toEqual([]);
  });

  it('answers CSV, for compliance officers only, and audits each call', async () => {
    const res = await get(officer, '?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain('hekim-processing-inventory.csv');
    const rows = parse<Record<string, string>>(res.text, { columns: true });
    const json = (await get(officer)).body as Inventory;
    expect(rows.map((r) => r.section)).toEqual(json.activities.map((a) => a.section));
    expect(Object.keys(rows[0])).toEqual([
      'section',
      'tables',
      'dataCategories',
      'dataSubjects',
      'purposes',
      'legalBases',
      'retention',
      'recipients',
      'transfersAbroad',
      'securityMeasures',
    ]);
    expect(rows.find((r) => r.section === 'messages')!.transfersAbroad).toContain('sms');
    expect((await get(officer, '?format=xml')).status).toBe(400);
    for (const who of [admin, await signIn(t, Role.Doctor), await signIn(t, Role.Patient)]) {
      expect((await get(who)).status).toBe(403);
    }
    const records = await auditRecords(t, { action: AuditAction.ProcessingInventoryRead });
    expect(records.map((r) => r.details.format).sort()).toEqual(['csv', 'json', 'json', 'json']);
  });
});
