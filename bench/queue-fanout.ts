// Queue-update fan-out latency (docs/appointments.md, "The queue"): PEOPLE patients wait in one
// clinician's queue, each knocking at their appointment's waiting room from a socket, half on
// each of two Hekim instances sharing PostgreSQL and Redis. Each round makes one change that
// moves everyone — the appointment at the head of the queue is transferred to another doctor
// (everyone moves up) and back (everyone moves down), over REST, alternately on instance A and
// B — and measures, for every waiting socket, the time from sending the change to receiving the
// `queue:update` with its new position. Not part of `npm test`; run with
//   npm run build && npm run bench:queue -- [people=200] [rounds=20]
// It needs the built app, PostgreSQL and Redis (as `npm run bench`).
//
// The queue is seeded through the API (bookings by the doctor, confirmations by the patients)
// and then checked in straight in the database: check-in opens only INVITATION_EARLY_MINUTES (15) before an
// appointment, and one clinician's appointments cannot overlap, so no more than a handful could
// check in through the API at once.
import type { Socket } from 'socket.io-client';
import { createUsers, login, loginAll, PASSWORD, pool } from './lib/hekim';
import { expectOk, http } from './lib/http';
import { runMain, withStandalone, type Standalone } from './lib/standalone';
import { connectSocket, request } from './lib/signaling';
import { latencySummary } from './lib/stats';

const PEOPLE = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 20);
const SLOT_MINUTES = 5;
const ROUND_TIMEOUT_MS = 30_000;

interface Waiter {
  roomId: string;
  socket: Socket;
  // The position this socket should be told next, and when the change was sent.
  expect: number;
  position: number;
}

// Each patient from an address of their own, as patients are: the per-client rate limit (600
// requests a minute) applies to each.
const addr = (i: number) => `127.0.0.${10 + (i % 200)}`;

// The current `telemedicine` consent, which a patient needs to knock.
async function consent(base: string, token: string, localAddress: string): Promise<void> {
  const me = await expectOk(
    'consents',
    http<{ required: { purpose: string; version: string }[] }>(
      'GET',
      `${base}/api/v1/consents/me`,
      { token, localAddress },
    ),
    [200],
  );
  for (const r of me.required.filter((x) => x.purpose === 'telemedicine'))
    await expectOk(
      'consent',
      http('POST', `${base}/api/v1/consents`, {
        token,
        localAddress,
        body: { purpose: r.purpose, version: r.version },
      }),
      [201],
    );
}

async function bench({ instances: [a, b], pg, admin }: Standalone): Promise<void> {
  const sockets: Socket[] = [];
  try {
    const [doctor, other] = await createUsers(a.url, admin, 'doctor', 2);
    const patients = await createUsers(a.url, admin, 'patient', PEOPLE + 1);
    const doctorToken = (await login(a.url, doctor.email, PASSWORD, '127.0.0.2')).accessToken;
    const otherToken = (await login(a.url, other.email, PASSWORD, '127.0.0.3')).accessToken;
    const tokens = (await loginAll(a.url, patients)).map((t) => t.accessToken);
    await pool(tokens.length, 4, (i) => consent(a.url, tokens[i], addr(i)));

    // The head (index 0, not connected) and PEOPLE waiting behind it, one slot each.
    const first = Math.ceil(Date.now() / 60_000) * 60_000 + 60 * 60_000;
    const booked: { id: string; roomId: string }[] = [];
    await pool(patients.length, 4, async (i) => {
      const start = new Date(first + i * SLOT_MINUTES * 60_000);
      booked[i] = await expectOk(
        'book',
        http<{ id: string; roomId: string }>('POST', `${a.url}/api/v1/appointments`, {
          token: doctorToken,
          body: {
            clinicianId: doctor.id,
            patientId: patients[i].id,
            start,
            end: new Date(start.getTime() + SLOT_MINUTES * 60_000),
          },
          localAddress: '127.0.0.2',
        }),
        [201],
      );
      await expectOk(
        'confirm',
        http('POST', `${a.url}/api/v1/appointments/${booked[i].id}/confirm`, {
          token: tokens[i],
          localAddress: addr(i),
        }),
        [200],
      );
    });
    await pg.query(
      `UPDATE appointments SET status = 'checked_in', checked_in_at = now() WHERE id = ANY($1::uuid[])`,
      [booked.map((x) => x.id)],
    );

    // Everyone but the head knocks, half on each instance; the head is position 1.
    const waiters: Waiter[] = [];
    await pool(PEOPLE, 8, async (k) => {
      const i = k + 1;
      const socket = await connectSocket(k % 2 ? b.url : a.url, { token: tokens[i] });
      sockets.push(socket);
      const w: Waiter = { roomId: booked[i].roomId, socket, expect: i + 1, position: 0 };
      socket.on('queue:update', (p: { roomId: string; position: number }) => {
        if (p.roomId === w.roomId) w.position = p.position;
      });
      waiters[k] = w;
      const joined = await request(socket, 'room:join', { roomId: w.roomId });
      if (joined.waiting !== true) throw new Error('not waiting');
    });
    const settled = async (what: string) => {
      const deadline = Date.now() + ROUND_TIMEOUT_MS * 4;
      while (waiters.some((w) => w.position !== w.expect)) {
        if (Date.now() > deadline) throw new Error(`${what}: updates did not arrive`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await settled('seeding');

    const samples: number[] = [];
    const perRound: number[] = [];
    const answered: number[] = [];
    for (let round = 0; round < ROUNDS * 2; round++) {
      // Even rounds move the head away (everyone up), odd ones bring it back (everyone down).
      const away = round % 2 === 0;
      const base = round % 4 < 2 ? a.url : b.url;
      const received: number[] = [];
      const started = process.hrtime.bigint();
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`round ${round}: ${received.length}/${PEOPLE} updates`)),
          ROUND_TIMEOUT_MS,
        );
        for (const w of waiters) {
          w.expect = away ? w.expect - 1 : w.expect + 1;
          const onUpdate = (p: { roomId: string; position: number }) => {
            if (p.roomId !== w.roomId || p.position !== w.expect) return;
            w.socket.off('queue:update', onUpdate);
            received.push(Number(process.hrtime.bigint() - started) / 1e6);
            if (received.length === PEOPLE) {
              clearTimeout(timer);
              resolve();
            }
          };
          w.socket.on('queue:update', onUpdate);
        }
      });
      const transferred = expectOk(
        'transfer',
        http('POST', `${base}/api/v1/appointments/${booked[0].id}/transfer`, {
          token: away ? doctorToken : otherToken,
          body: { clinicianId: away ? other.id : doctor.id },
          localAddress: away ? '127.0.0.2' : '127.0.0.3',
        }),
        [200],
      ).then(() => answered.push(Number(process.hrtime.bigint() - started) / 1e6));
      await Promise.all([transferred, done]);
      samples.push(...received);
      perRound.push(Math.max(...received));
    }
    const s = latencySummary(samples);
    const last = latencySummary(perRound);
    const change = latencySummary(answered);
    console.log(
      JSON.stringify(
        {
          waiting: PEOPLE,
          instances: 2,
          changes: ROUNDS * 2,
          updates: samples.length,
          // From sending the change (REST) to each socket receiving its queue:update, ms.
          latencyMs: {
            p50: Number(s.p50.toFixed(1)),
            p90: Number(s.p90.toFixed(1)),
            p99: Number(s.p99.toFixed(1)),
            max: Number(s.max.toFixed(1)),
          },
          // From sending the change to the last of the PEOPLE sockets being told, ms.
          lastOfRoundMs: { p50: Number(last.p50.toFixed(1)), max: Number(last.max.toFixed(1)) },
          // The change itself: the transfer's REST answer (its transaction), ms.
          changeAnsweredMs: {
            p50: Number(change.p50.toFixed(1)),
            max: Number(change.max.toFixed(1)),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    for (const s of sockets) s.close();
  }
}

runMain(() =>
  withStandalone({ name: 'queue', instances: 2, env: { NOTIFY_RELAY_ENABLED: 'false' } }, bench),
);
