import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import type { AuthUser } from '../../src/common/auth/auth-user';
import { AppointmentsService } from '../../src/modules/appointments/booking/appointments.service';
import { CallsService } from '../../src/modules/calls/calls.service';
import { runRetentionCli } from '../../src/modules/compliance/retention/retention-cli';
import { RetentionScheduler } from '../../src/modules/compliance/retention/retention.scheduler';
import { RunRetention } from '../../src/modules/compliance/retention/run-retention.usecase';
import { RoomsService } from '../../src/modules/rooms/rooms.service';
import { RoomPresenceService } from '../../src/modules/sessions/room-presence.service';
import { authHeader, signIn } from '../support/auth';
import { insertUser } from '../support/room-fixtures';
import { createTestApp, testEnv, type TestApp } from '../support/test-app';

const DAY_MS = 86_400_000;

// Retention (docs/compliance.md): ended sessions and calls past their period lose who took
// part, everything younger or still going is untouched, the audit trail is never shortened,
// and every run leaves a record, whether scheduled or run as `npm run retention:run`.
describe('compliance: retention', () => {
  let t: TestApp;
  let db: DataSource;
  let doctor: AuthUser;
  let patient: AuthUser;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        RETENTION_SESSIONS_DAYS: '30',
        RETENTION_CALLS_DAYS: '10',
        RETENTION_APPOINTMENTS_DAYS: '60',
        AUDIT_RETENTION_DAYS: '2190',
      },
    });
    db = t.app.get(DataSource);
    doctor = await insertUser(t, Role.Doctor);
    patient = await insertUser(t, Role.Patient);
    // The patient accepted an invitation of the doctor's: the doctor may ring them.
    await acceptedRoom('Care');
  });
  afterAll(() => t.close());

  // A consultation room of the doctor's whose invitation the patient accepted.
  async function acceptedRoom(name: string): Promise<string> {
    const rooms = t.app.get(RoomsService);
    const room = await rooms.create(doctor, {
      name,
      type: 'consultation',
      memberIds: [patient.id],
    } as never);
    await rooms.accept(patient, room.id);
    return room.id;
  }

  // A consultation session both took part in, ended `daysAgo` days ago (or still going).
  async function session(daysAgo: number | null): Promise<string> {
    const roomId = await acceptedRoom('Kept?');
    const presence = t.app.get(RoomPresenceService);
    const joined = await presence.join(doctor, roomId, `d-${randomBytes(4).toString('hex')}`);
    if (joined.kind !== 'joined') throw new Error('not joined');
    const p = `p-${randomBytes(4).toString('hex')}`;
    await presence.join(patient, roomId, p);
    if (daysAgo === null) return joined.sessionId;
    await presence.leave(patient, roomId, p);
    await db.query(
      `UPDATE session_participants SET left_at = now(), socket_id = NULL WHERE session_id = $1`,
      [joined.sessionId],
    );
    await db.query(
      `UPDATE room_sessions SET status = 'ended', ended_at = $2, end_reason = 'empty' WHERE id = $1`,
      [joined.sessionId, new Date(Date.now() - daysAgo * DAY_MS)],
    );
    return joined.sessionId;
  }

  // A direct call that ended (or was rejected) `daysAgo` days ago, or is still ringing.
  async function call(daysAgo: number | null, how: 'end' | 'reject' = 'end'): Promise<string> {
    const calls = t.app.get(CallsService);
    const c = await calls.initiate(doctor, { calleeIds: [patient.id], type: 'audio' });
    if (daysAgo === null) return c.id;
    if (how === 'end') {
      await calls.act(patient, c.id, 'accept');
      await calls.act(doctor, c.id, 'end');
    } else await calls.act(patient, c.id, 'reject');
    const at = new Date(Date.now() - daysAgo * DAY_MS);
    await db.query(
      `UPDATE calls SET ended_at = CASE WHEN ended_at IS NULL THEN NULL ELSE $2::timestamptz END,
              updated_at = $2 WHERE id = $1`,
      [c.id, at],
    );
    return c.id;
  }

  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number((await db.query<{ n: string }[]>(sql, params))[0].n);
  const participantsOf = (sessionId: string) =>
    count('SELECT count(*) AS n FROM session_participants WHERE session_id = $1', [sessionId]);
  const callExists = (id: string) => count('SELECT count(*) AS n FROM calls WHERE id = $1', [id]);

  it('anonymizes old ended sessions, destroys old ended calls, keeps the rest, and records it', async () => {
    const oldSession = await session(45);
    const recentSession = await session(5);
    const liveSession = await session(null);
    const oldCall = await call(20);
    const oldRejected = await call(20, 'reject');
    const recentCall = await call(2);
    const ringing = await call(null);
    const [{ room_id: oldCallRoom }] = await db.query<{ room_id: string }[]>(
      'SELECT room_id FROM calls WHERE id = $1',
      [oldCall],
    );
    const auditBefore = await count('SELECT count(*) AS n FROM audit_events');

    const result = await t.app.get(RunRetention).execute('schedule');
    expect(result).toMatchObject({
      trigger: 'schedule',
      sessionsAnonymized: 1,
      sessionParticipantsDeleted: 2,
      callsDeleted: 2,
      callParticipantsDeleted: 4,
      auditRetentionDays: 2190,
    });

    expect(await participantsOf(oldSession)).toBe(0);
    const [anon] = await db.query<{ anonymized_at: Date | null; ended_at: Date }[]>(
      'SELECT anonymized_at, ended_at FROM room_sessions WHERE id = $1',
      [oldSession],
    );
    expect(anon.anonymized_at).not.toBeNull();
    expect(anon.ended_at).not.toBeNull();
    expect(await participantsOf(recentSession)).toBe(2);
    expect(await participantsOf(liveSession)).toBe(2);
    expect(await callExists(oldCall)).toBe(0);
    expect(await callExists(oldRejected)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM rooms WHERE id = $1', [oldCallRoom])).toBe(0);
    expect(await callExists(recentCall)).toBe(1);
    expect(await callExists(ringing)).toBe(1);

    // The run is recorded, in its table and in the audit trail, which lost nothing.
    const [run] = await db.query<{ calls_deleted: number; session_participants_deleted: number }[]>(
      'SELECT * FROM retention_runs WHERE id = $1',
      [result?.id],
    );
    expect(run).toMatchObject({ calls_deleted: 2, session_participants_deleted: 2 });
    const [audit] = await db.query<{ resource_id: string; details: Record<string, unknown> }[]>(
      `SELECT resource_id, details FROM audit_events WHERE action = 'retention.run' ORDER BY seq DESC LIMIT 1`,
    );
    expect(audit).toEqual({
      resource_id: result?.id,
      details: {
        trigger: 'schedule',
        sessionsAnonymized: 1,
        sessionParticipantsDeleted: 2,
        callsDeleted: 2,
        callParticipantsDeleted: 4,
        appointmentsDeleted: 0,
        invitationsScrubbed: 0,
        messagesDeleted: 0,
        attachmentsDeleted: 0,
      },
    });
    // Nothing was deleted from the trail: as many records as sequence numbers, and more than before.
    expect(await count('SELECT count(*) AS n FROM audit_events')).toBeGreaterThan(auditBefore);
    expect(await count('SELECT max(seq) - count(*) AS n FROM audit_events')).toBe(0);
    const officer = await signIn(t, Role.ComplianceOfficer);
    const verify = await t
      .http()
      .get('/api/v1/audit/verify')
      .set(authHeader(officer.accessToken))
      .expect(200);
    expect(verify.body).toMatchObject({ valid: true });

    // A second run finds nothing more, and still leaves its record.
    const again = await t.app.get(RunRetention).execute('schedule');
    expect(again).toMatchObject({ sessionsAnonymized: 0, callsDeleted: 0 });
    expect(await callExists(recentCall)).toBe(1);
  });

  // An appointment of the doctor with the patient, moved to `status`, ending `daysAgo` days ago.
  async function appointment(status: string, daysAgo: number): Promise<string> {
    const start = new Date(Date.now() + DAY_MS + Math.floor(Math.random() * 1e6) * 60_000);
    const booked = await t.app.get(AppointmentsService).book(
      { ...doctor, sessionId: '' },
      {
        clinicianId: doctor.id,
        patientId: patient.id,
        start,
        end: new Date(start.getTime() + 20 * 60_000),
      },
      { ip: null, userAgent: null, requestId: null },
    );
    const end = new Date(Date.now() - daysAgo * DAY_MS);
    await db.query(
      `UPDATE appointments SET status = $2, start_at = $3, end_at = $4 WHERE id = $1`,
      [booked.id, status, new Date(end.getTime() - 20 * 60_000), end],
    );
    return booked.id;
  }
  const appointmentExists = (id: string) =>
    count('SELECT count(*) AS n FROM appointments WHERE id = $1', [id]);

  it('destroys completed, cancelled and missed appointments past RETENTION_APPOINTMENTS_DAYS, nothing live or younger', async () => {
    const gone = [
      await appointment('completed', 90),
      await appointment('cancelled', 61),
      await appointment('no_show', 200),
    ];
    const kept = [
      await appointment('completed', 30),
      await appointment('booked', 91),
      await appointment('checked_in', 92),
    ];
    const result = await t.app.get(RunRetention).execute('command');
    expect(result).toMatchObject({ appointmentsDeleted: 3 });
    expect(Date.now() - Date.parse(result?.appointmentsBefore ?? '') - 60 * DAY_MS).toBeLessThan(
      60_000,
    );
    for (const id of gone) expect(await appointmentExists(id)).toBe(0);
    for (const id of kept) expect(await appointmentExists(id)).toBe(1);
    const [run] = await db.query<{ appointments_deleted: number }[]>(
      'SELECT appointments_deleted FROM retention_runs WHERE id = $1',
      [result?.id],
    );
    expect(run.appointments_deleted).toBe(3);
  });

  it('runs once at a time: a run finding the lock taken does nothing', async () => {
    const runner = db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query('SELECT pg_advisory_xact_lock($1)', [7_363_700_800]);
      const runs = await count('SELECT count(*) AS n FROM retention_runs');
      expect(await t.app.get(RunRetention).execute('schedule')).toBeNull();
      expect(await count('SELECT count(*) AS n FROM retention_runs')).toBe(runs);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('runs on schedule through the scheduler’s tick', async () => {
    const runs = await count(`SELECT count(*) AS n FROM retention_runs WHERE trigger = 'schedule'`);
    await t.app.get(RetentionScheduler).tick();
    expect(await count(`SELECT count(*) AS n FROM retention_runs WHERE trigger = 'schedule'`)).toBe(
      runs + 1,
    );
  });

  it('runs as a command with the app’s environment, and refuses what it cannot do', async () => {
    const oldCall = await call(20);
    const out: string[] = [];
    const err: string[] = [];
    const env = testEnv(t.db, `hekim-test:${randomBytes(6).toString('hex')}:`, {
      RETENTION_SESSIONS_DAYS: '30',
      RETENTION_CALLS_DAYS: '10',
      JWT_SECRET: t.config.auth.jwtSecret,
      AUDIT_SIGNING_KEY: t.config.audit.signingKey,
    });
    const code = await runRetentionCli(
      env,
      (l) => out.push(l),
      (l) => err.push(l),
      {
        persistGeneratedSecrets: false,
      },
    );
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(JSON.parse(out[0]) as object).toMatchObject({ trigger: 'command', callsDeleted: 1 });
    expect(await callExists(oldCall)).toBe(0);

    const bad: string[] = [];
    expect(
      await runRetentionCli(
        { ...env, RETENTION_CALLS_DAYS: '0' },
        () => undefined,
        (l) => bad.push(l),
        {
          persistGeneratedSecrets: false,
        },
      ),
    ).toBe(78);
    expect(bad.join('\n')).toMatch(/RETENTION_CALLS_DAYS/);
    // The embedded mode works on DATA_DIR's database (embedded-commands.e2e-spec.ts); a
    // DATA_DIR without one is refused, and nothing is created there.
    const emptyDir = mkdtempSync(join(tmpdir(), 'hekim-retention-'));
    const none: string[] = [];
    expect(
      await runRetentionCli(
        { ...env, DATABASE_URL: '', DATA_DIR: emptyDir },
        () => undefined,
        (l) => none.push(l),
        {
          persistGeneratedSecrets: false,
        },
      ),
    ).toBe(78);
    expect(none.join('\n')).toContain(`there is no embedded database in ${emptyDir} yet`);
    expect(readdirSync(emptyDir)).toEqual([]);
    rmSync(emptyDir, { recursive: true });
  });
});
