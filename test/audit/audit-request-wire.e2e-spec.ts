import { Role } from '../../src/common/auth/role';
import { AuditService } from '../../src/modules/audit/audit.service';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import {
  type PgWrite,
  simpleQueryMessage,
  tapPgWire,
  tapPgWrites,
  type WireSpan,
} from '../support/pg-wire-tap';
import { createTestApp, type TestApp } from '../support/test-app';

const APPEND = 'hekim_audit_append_one';
const ROOM_INSERT = 'hekim_room_insert_with_members';
const COMMIT = simpleQueryMessage('COMMIT');

// An audited request on the wire (docs/audit.md, "Written with the commit"): POST /rooms
// writes the room and its members, reads the members back and records `room.create` in one
// transaction. Its record costs no round trip and no write of its own: the append goes out in
// the COMMIT's write, and the transaction takes as many round trips and writes as the same
// request without a record (scenario 8b of `npm run bench` measures the time).
describe('audit trail: an audited request on the wire', () => {
  let t: TestApp;
  let doctor: SignedIn;
  let patient: SignedIn;
  let audit: AuditService;

  beforeAll(async () => {
    t = await createTestApp();
    doctor = await signIn(t, Role.Doctor);
    patient = await signIn(t, Role.Patient);
    audit = t.app.get(AuditService);
  });
  afterAll(() => t.close());

  const createRoom = async (): Promise<void> => {
    const res = await t
      .http()
      .post('/api/v1/rooms')
      .set(authHeader(doctor.accessToken))
      .send({ name: 'audited', type: 'consultation', memberIds: [patient.user.id] });
    expect(res.status).toBe(201);
  };

  // The request's transaction, its statements and round trips, and the writes of its
  // connection from START TRANSACTION to the COMMIT.
  async function onTheWire(): Promise<{ span: WireSpan; writes: PgWrite[] }> {
    const wire = tapPgWire({
      opens: (sql) => sql === 'START TRANSACTION',
      closes: (sql) => sql === 'COMMIT' || sql === 'ROLLBACK',
    });
    const tap = tapPgWrites();
    try {
      await createRoom();
    } finally {
      wire.restore();
      tap.restore();
    }
    const spans = wire.spans().filter((s) => s.statements.some((x) => x.includes('INTO rooms')));
    expect(spans).toHaveLength(1);
    const all = tap.writes();
    const insert = all.find((w) => w.bytes.includes(ROOM_INSERT));
    if (!insert) throw new Error('the room insert was not written');
    // The request's own START TRANSACTION and COMMIT around its insert (the connection may
    // have carried other work before or after it).
    const own = all.filter((w) => w.socket === insert.socket);
    const at = own.indexOf(insert);
    const first = own.findLastIndex((w, i) => i <= at && w.bytes.includes('START TRANSACTION'));
    const last = own.findIndex((w, i) => i >= at && w.bytes.includes(COMMIT));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(last).toBeGreaterThan(first);
    return { span: spans[0], writes: own.slice(first, last + 1) };
  }

  it('sends the record with the COMMIT, in its write, at no round trip or write of its own', async () => {
    // Every statement of the path prepared on the connection, so that the first run's Parse
    // messages do not count.
    for (let i = 0; i < 3; i++) await createRoom();

    const audited = await onTheWire();
    expect(audited.span.statements.map(kind)).toEqual([
      'START TRANSACTION',
      'room and members',
      'members',
      'record',
      'COMMIT',
    ]);
    const trips = audited.span.roundTrips;
    expect(new Set(trips).size).toBe(4);
    expect(trips[3]).toBe(trips[4]);
    // One write carries the record and then the COMMIT; no other write carries the record.
    const carrying = audited.writes.filter((w) => w.bytes.includes(APPEND));
    expect(carrying).toHaveLength(1);
    const { bytes } = carrying[0];
    expect(bytes.indexOf(COMMIT)).toBeGreaterThan(bytes.indexOf(APPEND));
    expect(audited.writes.at(-1)).toBe(carrying[0]);

    // The same request with its record left out, as the benchmark's baseline does it.
    const real = audit.record.bind(audit);
    audit.record = (() => Promise.resolve(undefined)) as unknown as AuditService['record'];
    let bare: { span: WireSpan; writes: PgWrite[] };
    try {
      bare = await onTheWire();
    } finally {
      audit.record = real;
    }
    expect(bare.span.statements.map(kind)).toEqual([
      'START TRANSACTION',
      'room and members',
      'members',
      'COMMIT',
    ]);
    expect(new Set(bare.span.roundTrips).size).toBe(4);
    expect(audited.writes).toHaveLength(bare.writes.length);
  });
});

function kind(sql: string): string {
  if (sql.includes('audit_chain_head')) return 'record';
  if (sql.includes('INSERT INTO rooms')) return 'room and members';
  if (sql.includes('FROM "room_members"') || sql.includes('FROM room_members')) return 'members';
  return sql;
}
