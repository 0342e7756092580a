// Booking throughput under contention (docs/appointments.md, "No double booking"): patients
// race for the same slots, RACERS per slot, WIDTH requests in flight.
// - Hekim: POST /appointments through the built app (authentication, the slot check, the room,
//   the care relationship, the audit record, the webhook and the mails, in one transaction);
// - baseline: a plain INSERT into a table with the same exclusion constraint, over a pool of as
//   many connections as Hekim's, with the same racers and the same width.
// Each round runs both back to back on fresh slots, so a pair sees the same machine; the result
// is the median of the paired ratios of booked slots per second, and the count of double
// bookings (which must be 0 on both sides). Not part of `npm test`; run with
//   npm run build && npm run bench:booking -- [slots=200] [rounds=3] [racers=4]
// It needs the built app, PostgreSQL and Redis (as `npm run bench`).
import { Pool } from 'pg';
import { createUsers, login, PASSWORD, pool } from './lib/hekim';
import { expectOk, http } from './lib/http';
import { runMain, withStandalone, type Standalone } from './lib/standalone';
import { median, pairedRatios } from './lib/stats';

const SLOTS = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 3);
const RACERS = Number(process.argv[4] ?? 4);
const WIDTH = 16;
const DOCTORS = 4;
const SLOT_MINUTES = 10;
// Hekim's pool (DATABASE_POOL_SIZE's default) for the baseline too.
const PG_POOL = 10;

interface Race {
  clinicianId: string;
  start: Date;
  end: Date;
}

// `SLOTS` free slots after `after`: Monday to Friday, 08:00–18:00 UTC, spread over the doctors.
function slotsFrom(after: Date, doctorIds: string[]): Race[] {
  const out: Race[] = [];
  const day = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate()));
  while (out.length < SLOTS) {
    day.setUTCDate(day.getUTCDate() + 1);
    if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue;
    for (let m = 8 * 60; m + SLOT_MINUTES <= 18 * 60 && out.length < SLOTS; m += SLOT_MINUTES)
      for (const clinicianId of doctorIds) {
        if (out.length >= SLOTS) break;
        const start = new Date(day.getTime() + m * 60_000);
        out.push({ clinicianId, start, end: new Date(start.getTime() + SLOT_MINUTES * 60_000) });
      }
  }
  return out;
}

// Runs RACERS attempts per slot, WIDTH at a time; answers seconds and how many succeeded.
async function race(
  races: Race[],
  attempt: (r: Race, racer: number) => Promise<boolean>,
): Promise<{ seconds: number; booked: number; refused: number }> {
  const jobs = races.flatMap((r) => Array.from({ length: RACERS }, (_, k) => ({ r, k })));
  let booked = 0;
  let refused = 0;
  const started = process.hrtime.bigint();
  await pool(jobs.length, WIDTH, async (i) => {
    if (await attempt(jobs[i].r, jobs[i].k)) booked += 1;
    else refused += 1;
  });
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, booked, refused };
}

const OVERLAPS = (table: string) => `
  SELECT count(*)::int AS n FROM ${table} a JOIN ${table} b
    ON a.clinician_id = b.clinician_id AND a.id < b.id
   AND tstzrange(a.start_at, a.end_at) && tstzrange(b.start_at, b.end_at)
   AND a.status <> 'cancelled' AND b.status <> 'cancelled'`;

async function bench({ db, instances: [hekim], pg, admin }: Standalone): Promise<void> {
  const baseline = new Pool({ connectionString: db.url, max: PG_POOL });
  try {
    const doctors = await createUsers(hekim.url, admin, 'doctor', DOCTORS);
    const patients = await createUsers(hekim.url, admin, 'patient', RACERS * 4);
    for (const d of doctors) {
      const { accessToken } = await login(hekim.url, d.email, PASSWORD);
      await expectOk(
        'set working hours',
        http('PUT', `${hekim.url}/api/v1/clinicians/me/availability`, {
          token: accessToken,
          body: {
            timezone: 'UTC',
            slotMinutes: SLOT_MINUTES,
            weekly: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '08:00', end: '18:00' })),
            exceptions: [],
          },
        }),
        [200],
      );
    }
    const tokens = await Promise.all(
      patients.map(async (p) => (await login(hekim.url, p.email, PASSWORD)).accessToken),
    );
    await pg.query(`
      CREATE TABLE bench_bookings (
        id bigserial PRIMARY KEY, clinician_id uuid NOT NULL, patient_id uuid NOT NULL,
        start_at timestamptz NOT NULL, end_at timestamptz NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'booked',
        EXCLUDE USING gist (clinician_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)
          WHERE (status <> 'cancelled'))`);

    const hekimSeconds: number[] = [];
    const plainSeconds: number[] = [];
    let after = new Date(Date.now() + 86_400_000);
    for (let round = 1; round <= ROUNDS; round++) {
      const doctorIds = doctors.map((d) => d.id);
      const hekimSlots = slotsFrom(after, doctorIds);
      after = hekimSlots[hekimSlots.length - 1].end;
      const plainSlots = slotsFrom(after, doctorIds);
      after = plainSlots[plainSlots.length - 1].end;

      const h = await race(hekimSlots, async (r, k) => {
        // Each patient from an address of their own, as patients are: the per-client rate
        // limit (600 requests a minute) applies to each.
        const who = (k * 7 + r.start.getTime() / 60_000) % tokens.length;
        const res = await http('POST', `${hekim.url}/api/v1/appointments`, {
          token: tokens[who],
          body: { clinicianId: r.clinicianId, start: r.start, end: r.end },
          localAddress: `127.0.0.${10 + who}`,
        });
        if (res.status === 201) return true;
        if (res.status === 409) return false;
        throw new Error(`booking answered ${res.status}: ${JSON.stringify(res.body)}`);
      });
      const p = await race(plainSlots, async (r, k) => {
        try {
          await baseline.query(
            `INSERT INTO bench_bookings (clinician_id, patient_id, start_at, end_at)
             VALUES ($1, $2, $3, $4)`,
            [r.clinicianId, patients[k].id, r.start, r.end],
          );
          return true;
        } catch (err) {
          // Refused, or the loser of a deadlock between two overlapping inserts (which an
          // exclusion constraint can produce); the winner commits either way.
          const code = (err as { code?: string }).code;
          if (code === '23P01' || code === '40P01') return false;
          throw err;
        }
      });
      hekimSeconds.push(h.seconds);
      plainSeconds.push(p.seconds);
      console.log(
        `round ${round}: Hekim ${(h.booked / h.seconds).toFixed(1)} bookings/s ` +
          `(${h.booked} booked, ${h.refused} refused), plain INSERT ` +
          `${(p.booked / p.seconds).toFixed(1)}/s (${p.booked}, ${p.refused})`,
      );
      if (h.booked !== SLOTS || p.booked !== SLOTS)
        throw new Error('a slot was booked twice or not at all');
    }
    const doubles = {
      hekim: (await pg.query<{ n: number }>(OVERLAPS('appointments'))).rows[0].n,
      plain: (await pg.query<{ n: number }>(OVERLAPS('bench_bookings'))).rows[0].n,
    };
    // Bookings per second, Hekim over the plain INSERT: plain seconds over Hekim seconds.
    const ratios = pairedRatios(plainSeconds, hekimSeconds);
    console.log(
      JSON.stringify(
        {
          slots: SLOTS,
          racersPerSlot: RACERS,
          inFlight: WIDTH,
          hekimPerSecond: Math.round(SLOTS / median(hekimSeconds)),
          plainPerSecond: Math.round(SLOTS / median(plainSeconds)),
          ratioMedian: Number(median(ratios).toFixed(3)),
          ratios: ratios.map((x) => Number(x.toFixed(3))),
          doubleBookings: doubles,
        },
        null,
        2,
      ),
    );
  } finally {
    await baseline.end();
  }
}

runMain(() => withStandalone({ name: 'booking', env: { NOTIFY_RELAY_ENABLED: 'false' } }, bench));
