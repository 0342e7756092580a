import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AuditAction } from '../../src/modules/audit/audit-action';
import { PersonalDataRegistry } from '../../src/common/personal-data/personal-data-registry';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { auditRecords, putProfile, randomTckn, shareRoom } from './privacy-support';

// Column names that point at a person even without a foreign key (audit records keep ids
// of people who may be erased; some tables store an e-mail address).
const PERSON_COLUMN = String.raw`^(user_id|.+_user_id|actor_id|subject_id|caller_id|callee_id|host_id|patient_id|doctor_id|.+_by_id|.+_by|email|recipient)$`;

interface DataExport {
  generatedAt: string;
  userId: string;
  sections: Record<string, unknown>;
}

describe('compliance: data export (KVKK art. 11)', () => {
  let t: TestApp;
  let db: DataSource;
  let patient: SignedIn;
  let doctor: SignedIn;
  const nationalId = randomTckn();

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' } });
    db = t.app.get(DataSource);
    patient = await signIn(t, Role.Patient);
    doctor = await signIn(t, Role.Doctor);
    await putProfile(t, patient, { nationalId, dateOfBirth: '1990-01-31', phone: '+905551234567' });
    await shareRoom(t, doctor, patient);
  });
  afterAll(() => t.close());

  it('claims every table that mentions a person: a new table that forgets to register fails here', async () => {
    const referencing = await db.query<{ table: string }[]>(
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
    );
    const tables = referencing.map((r) => r.table).sort();
    // Sanity: the query sees the tables it must see.
    expect(tables).toEqual(
      expect.arrayContaining([
        'users',
        'auth_sessions',
        'room_members',
        'call_participants',
        'audit_events',
        'patient_profiles',
        'break_glass_grants',
      ]),
    );
    const claimed = t.app.get(PersonalDataRegistry).claimedTables();
    expect(tables.filter((table) => !claimed.has(table))).toEqual([]);
    // And nothing claims a table that does not exist (a typo would hide a gap).
    const existing = new Set(
      (
        await db.query<{ table_name: string }[]>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
        )
      ).map((r) => r.table_name),
    );
    expect([...claimed].filter((table) => !existing.has(table))).toEqual([]);
  });

  it('answers with every section, the profile decrypted, and audits the export', async () => {
    const res = await t
      .http()
      .get('/api/v1/users/me/data-export')
      .set(authHeader(patient.accessToken));
    expect(res.status).toBe(200);
    const body = res.body as DataExport;
    expect(body.userId).toBe(patient.user.id);
    const sections = t.app
      .get(PersonalDataRegistry)
      .all()
      .map((c) => c.section);
    expect(Object.keys(body.sections).sort()).toEqual([...sections].sort());
    expect(sections).toEqual(
      expect.arrayContaining([
        'user',
        'patientProfile',
        'deviceSessions',
        'rooms',
        'sessions',
        'calls',
        'audit',
        'breakGlass',
      ]),
    );
    const s = body.sections as {
      user: { email: string };
      patientProfile: { nationalId: string; phone: string; dateOfBirth: string };
      deviceSessions: { id: string; userAgent: string | null }[];
      rooms: { memberships: { roomId: string; hostId: string }[] };
      audit: { action: string; actor: { userId: string } }[];
      mfa: { enrolled: boolean };
    };
    expect(s.user.email).toBe(patient.user.email);
    expect(s.patientProfile).toMatchObject({
      nationalId,
      phone: '+905551234567',
      dateOfBirth: '1990-01-31',
    });
    expect(s.deviceSessions.length).toBeGreaterThanOrEqual(1);
    expect(s.rooms.memberships).toEqual([expect.objectContaining({ hostId: doctor.user.id })]);
    expect(s.audit.map((r) => r.action)).toEqual(
      expect.arrayContaining(['auth.login', 'patient_profile.update']),
    );
    expect(s.mfa.enrolled).toBe(false);
    // No secrets: token hashes and one-time codes are never part of an export.
    const secrets = await db.query<{ secret: string }[]>(
      `SELECT password_hash AS secret FROM users WHERE id = $1
       UNION ALL
       SELECT t.token_hash FROM auth_refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id
        WHERE s.user_id = $1`,
      [patient.user.id],
    );
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    const text = JSON.stringify(body);
    for (const { secret } of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain(patient.refreshToken);

    const exports = await auditRecords(t, {
      action: AuditAction.DataSubjectExport,
      subjectId: patient.user.id,
    });
    expect(exports).toHaveLength(1);
    expect(exports[0].details).toEqual({ sections: [...sections].sort() });
  });

  it('is open to every role, each getting their own data only', async () => {
    const res = await t
      .http()
      .get('/api/v1/users/me/data-export')
      .set(authHeader(doctor.accessToken));
    expect(res.status).toBe(200);
    const body = res.body as DataExport;
    expect(body.userId).toBe(doctor.user.id);
    expect(body.sections.patientProfile).toBeNull();
    // Records where the doctor is the actor: the room they created for the patient.
    const audit = body.sections.audit as { action: string; actor: { userId: string } }[];
    expect(audit.map((r) => r.action)).toContain('room.create');
    expect(
      audit.every(
        (r) =>
          r.actor.userId === doctor.user.id ||
          (r as unknown as { subjectId: string }).subjectId === doctor.user.id,
      ),
    ).toBe(true);
    expect(JSON.stringify(body)).not.toContain(nationalId);
  });
});
