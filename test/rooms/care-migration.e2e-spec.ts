import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/infra/database/typeorm-options';
import { createTestDatabase, type TestDatabase } from '../support/test-app';

const MIGRATION = 'CareRelationships1763701300000';
const DAY_MS = 24 * 3600 * 1000;

// The migration that introduced care relationships, on data written before it: a patient's
// membership becomes a relationship only where the patient joined a session of the room;
// every other patient membership becomes an invitation; a call's room is left alone.
describe('rooms: the care-relationships migration on existing data', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(
      dataSourceOptions({ url: db.url, poolSize: 2, statementTimeoutMs: 60_000 }),
    );
    await ds.initialize();
    // Back to the schema just before it (and whatever came after it).
    for (;;) {
      const applied = await ds.query<{ name: string }[]>('SELECT name FROM migrations');
      if (!applied.some((m) => m.name === MIGRATION)) break;
      await ds.undoLastMigration({ transaction: 'each' });
    }
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const one = async <T>(sql: string, params: unknown[] = []): Promise<T> =>
    (await ds.query<T[]>(sql, params))[0];
  const user = async (role: string): Promise<string> =>
    (
      await one<{ id: string }>(
        `INSERT INTO users (email, password_hash, display_name, role)
         VALUES ($1, 'x', $2, $3) RETURNING id`,
        [`${role}-${Math.random().toString(36).slice(2)}@example.test`, role, role],
      )
    ).id;
  const room = async (host: string, type: string, closedDaysAgo?: number): Promise<string> =>
    (
      await one<{ id: string }>(
        `INSERT INTO rooms (name, type, host_id, status, closed_at)
         VALUES ('r', $1, $2, $3, $4) RETURNING id`,
        [
          type,
          host,
          closedDaysAgo === undefined ? 'open' : 'closed',
          closedDaysAgo === undefined ? null : new Date(Date.now() - closedDaysAgo * DAY_MS),
        ],
      )
    ).id;
  const member = (roomId: string, userId: string, role = 'participant') =>
    ds.query(`INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, $3)`, [
      roomId,
      userId,
      role,
    ]);
  // A stay of `userId` in an ended session of the room, `daysAgo` days ago.
  const stay = async (roomId: string, userId: string, daysAgo: number) => {
    const at = new Date(Date.now() - daysAgo * DAY_MS);
    const { id } = await one<{ id: string }>(
      `INSERT INTO room_sessions (room_id, status, started_at, ended_at)
       VALUES ($1, 'ended', $2, $2) RETURNING id`,
      [roomId, at],
    );
    await ds.query(
      `INSERT INTO session_participants (session_id, user_id, joined_at, left_at)
       VALUES ($1, $2, $3, $3)`,
      [id, userId, at],
    );
  };

  it('keeps consultations that happened as relationships and turns the rest into invitations', async () => {
    const [doctor, colleague, admin] = [
      await user('doctor'),
      await user('doctor'),
      await user('admin'),
    ];
    const [consulted, neverJoined, closedPatient, caller] = [
      await user('patient'),
      await user('patient'),
      await user('patient'),
      await user('patient'),
    ];
    const open = await room(doctor, 'group');
    await member(open, doctor, 'host');
    await member(open, colleague);
    await member(open, admin);
    await member(open, consulted);
    await member(open, neverJoined);
    await stay(open, consulted, 3);
    const closed = await room(doctor, 'consultation', 1);
    await member(closed, doctor, 'host');
    await member(closed, closedPatient);
    await stay(closed, closedPatient, 10);
    const callRoom = await room(doctor, 'call');
    await member(callRoom, doctor, 'host');
    await member(callRoom, caller);

    await ds.runMigrations({ transaction: 'each' });

    const statuses = await ds.query<{ room_id: string; user_id: string; status: string }[]>(
      'SELECT room_id, user_id, status FROM room_members',
    );
    const status = (roomId: string, userId: string) =>
      statuses.find((s) => s.room_id === roomId && s.user_id === userId)?.status;
    expect({
      host: status(open, doctor),
      colleague: status(open, colleague),
      admin: status(open, admin),
      consulted: status(open, consulted),
      neverJoined: status(open, neverJoined),
      closedPatient: status(closed, closedPatient),
      callee: status(callRoom, caller),
    }).toEqual({
      host: 'active',
      colleague: 'active',
      admin: 'active',
      consulted: 'active',
      neverJoined: 'invited',
      closedPatient: 'active',
      callee: 'active',
    });

    const relationships = await ds.query<
      { clinician_id: string; patient_id: string; source_id: string; until: Date | null }[]
    >('SELECT clinician_id, patient_id, source_id, until FROM care_relationships');
    const pairs = relationships
      .map((r) => `${r.clinician_id}>${r.patient_id}@${r.source_id}`)
      .sort();
    expect(pairs).toEqual(
      [
        `${doctor}>${consulted}@${open}`,
        `${colleague}>${consulted}@${open}`,
        `${doctor}>${closedPatient}@${closed}`,
      ].sort(),
    );
    for (const r of relationships.filter((x) => x.source_id === open)) expect(r.until).toBeNull();
    const fromClosed = relationships.find((x) => x.source_id === closed);
    // 30 days after the last stay (ten days ago): twenty days left.
    const left = (fromClosed?.until?.getTime() ?? 0) - Date.now();
    expect(left).toBeGreaterThan(19 * DAY_MS);
    expect(left).toBeLessThan(21 * DAY_MS);
  });
});
