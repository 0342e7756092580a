// The audit chain's append rate today against two designs that lift its one-lock limit
// (docs/scaling.md, "Beyond one chain"), on the same PostgreSQL, in paired rounds:
// - one chain (today's shape, src/modules/audit/audit.repository.ts APPEND_ONE): each business
//   transaction appends its record in one statement that locks the chain's head row, reads its
//   hash and time, hashes the record in the database and moves the head; the lock is held
//   until COMMIT, so appends from every instance queue behind one row;
// - partitioned chains: the same statement on one of K chains (chosen by the record's subject,
//   so one person's records stay in one chain's order), with a checkpointer that every second
//   reads every head in one snapshot and appends a signed checkpoint (Ed25519 over the heads)
//   joining them;
// - Merkle-batched: the business transaction inserts its record into a staging table (no
//   lock); a sealer, every 50 ms, takes what has committed, hashes the records as the leaves of
//   a Merkle tree and appends one chain link per batch (its root, chained to the previous link).
// - and, as the ceiling, no record at all: the business row alone.
// Every other variant writes the same business row and the same record content per transaction, with
// WRITERS connections at once, each transaction BEGIN / business INSERT / record / COMMIT.
// Not part of `npm test`; run with
//   npm run bench:chain -- [seconds=6] [rounds=3] [writers=16] [chains=8]
// It needs PostgreSQL (as `npm run bench`); the database is made and dropped here.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import { createDatabase } from './lib/hekim';
import { fmt, fmtSpread, median, pairedRatios, spread } from './lib/stats';

const SECONDS = Number(process.argv[2] ?? 6);
const ROUNDS = Number(process.argv[3] ?? 3);
const WRITERS = Number(process.argv[4] ?? 16);
const CHAINS = Number(process.argv[5] ?? 8);
const SEAL_MS = 50;
const CHECKPOINT_MS = 1000;

const SCHEMA = `
  CREATE TABLE business (id bigserial PRIMARY KEY, subject int NOT NULL, v text NOT NULL);
  CREATE TABLE chain_head (chain int PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL,
    occurred_at timestamptz NOT NULL);
  CREATE TABLE chain_events (chain int NOT NULL, seq bigint NOT NULL,
    occurred_at timestamptz NOT NULL, action text NOT NULL, subject int NOT NULL,
    details jsonb NOT NULL, prev_hash text NOT NULL, hash text NOT NULL, canonical text NOT NULL,
    PRIMARY KEY (chain, seq));
  CREATE INDEX ON chain_events (subject);
  CREATE TABLE chain_checkpoints (id bigserial PRIMARY KEY, heads jsonb NOT NULL,
    digest text NOT NULL, signature text NOT NULL, at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE staged (id bigserial PRIMARY KEY, occurred_at timestamptz NOT NULL DEFAULT
    clock_timestamp(), action text NOT NULL, subject int NOT NULL, details jsonb NOT NULL);
  CREATE TABLE sealed_events (batch bigint NOT NULL, leaf int NOT NULL, occurred_at timestamptz
    NOT NULL, action text NOT NULL, subject int NOT NULL, details jsonb NOT NULL,
    leaf_hash text NOT NULL, PRIMARY KEY (batch, leaf));
  CREATE INDEX ON sealed_events (subject);
  CREATE TABLE batches (seq bigint PRIMARY KEY, root text NOT NULL, prev_hash text NOT NULL,
    hash text NOT NULL, records int NOT NULL, at timestamptz NOT NULL);
  INSERT INTO batches VALUES (0, '', '', repeat('0', 64), 0, now());`;

// One record at the head of chain $1, as APPEND_ONE writes one: the head locked and read, the
// canonical text built around the time and seq, SHA-256(prev || "\n" || canonical), the head moved.
const APPEND = `
  WITH h AS (
    SELECT seq + 1 AS seq, hash AS prev_hash,
           GREATEST(occurred_at, date_trunc('milliseconds', clock_timestamp())) AS at
      FROM chain_head WHERE chain = $1 FOR UPDATE
  ), c AS (
    SELECT h.*, $2::text || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                || ',"seq":' || seq::text || $3::text AS canonical FROM h
  ), ins AS (
    INSERT INTO chain_events (chain, seq, occurred_at, action, subject, details, prev_hash, hash,
      canonical)
    SELECT $1, c.seq, c.at, 'consultation.event', $4, $5::jsonb, c.prev_hash,
           encode(sha256(convert_to(c.prev_hash || E'\\n' || c.canonical, 'UTF8')), 'hex'),
           c.canonical FROM c
    RETURNING seq, hash, occurred_at
  )
  UPDATE chain_head SET seq = ins.seq, hash = ins.hash, occurred_at = ins.occurred_at
    FROM ins WHERE chain = $1`;

type Variant = 'none' | 'one' | 'partitioned' | 'merkle';
const VARIANTS = ['none', 'one', 'partitioned', 'merkle'] as const;

const details = (n: number): string =>
  JSON.stringify({ roomId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, n });

async function resetChains(pg: Client, chains: number): Promise<void> {
  await pg.query('TRUNCATE chain_head, chain_events, chain_checkpoints');
  await pg.query(
    `INSERT INTO chain_head SELECT g, 0, repeat('0', 64), now() FROM generate_series(0, $1 - 1) g`,
    [chains],
  );
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

// A Merkle root over leaf hashes (an odd node is carried up as it is).
function merkleRoot(leaves: string[]): string {
  let level = leaves;
  if (level.length === 0) return sha('');
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? sha(`${level[i]}${level[i + 1]}`) : level[i]);
    level = next;
  }
  return level[0];
}

const KEYS = generateKeyPairSync('ed25519');

interface Round {
  variant: Variant;
  commits: number;
  perSecond: number;
  // Merkle: records sealed in the round and the largest lag (ms) from commit to seal.
  sealed?: number;
  maxSealLagMs?: number;
  checkpoints?: number;
}

async function round(url: string, variant: Variant, admin: Client): Promise<Round> {
  const chains = variant === 'partitioned' ? CHAINS : 1;
  if (variant !== 'merkle') await resetChains(admin, chains);
  else
    await admin.query(`TRUNCATE staged, sealed_events, batches;
      INSERT INTO batches VALUES (0, '', '', repeat('0', 64), 0, now())`);
  const clients = await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const side = new Client({ connectionString: url });
  await side.connect();
  let stop = false;
  let commits = 0;
  let n = 0;
  let sealed = 0;
  let maxSealLagMs = 0;
  let checkpoints = 0;
  const t0 = Date.now();
  const end = t0 + SECONDS * 1000;
  const writers = clients.map(async (c) => {
    while (Date.now() < end) {
      const k = n++;
      const subject = k % 997;
      await c.query('BEGIN');
      await c.query('INSERT INTO business (subject, v) VALUES ($1, $2)', [subject, `v${k}`]);
      if (variant === 'none') {
        // The ceiling: the business change alone.
      } else if (variant === 'merkle') {
        await c.query(
          `INSERT INTO staged (action, subject, details) VALUES ('consultation.event', $1, $2)`,
          [subject, details(k)],
        );
      } else {
        await c.query({
          name: 'append',
          text: APPEND,
          values: [
            subject % chains,
            '{"action":"consultation.event","at":"',
            `,"subject":${subject}}`,
            subject,
            details(k),
          ],
        });
      }
      await c.query('COMMIT');
      commits++;
    }
  });
  // The side job of each design: the sealer (Merkle) or the checkpointer (partitioned).
  const sideJob = (async () => {
    if (variant === 'one' || variant === 'none') return;
    // One more pass after the writers stop, so that everything committed is sealed.
    for (let last = false; !last;) {
      last = stop;
      await new Promise((r) => setTimeout(r, variant === 'merkle' ? SEAL_MS : CHECKPOINT_MS));
      if (variant === 'partitioned') {
        await side.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        const heads = await side.query<{ chain: number; seq: string; hash: string }>(
          'SELECT chain, seq::text, hash FROM chain_head ORDER BY chain',
        );
        const digest = sha(JSON.stringify(heads.rows));
        const signature = sign(null, Buffer.from(digest), KEYS.privateKey).toString('base64');
        await side.query(
          'INSERT INTO chain_checkpoints (heads, digest, signature) VALUES ($1, $2, $3)',
          [JSON.stringify(heads.rows), digest, signature],
        );
        await side.query('COMMIT');
        checkpoints++;
        continue;
      }
      // Seal what has committed: rows are taken (and deleted) in the sealer's transaction, so
      // a record still in an open transaction is simply sealed by a later batch.
      await side.query('BEGIN');
      const taken = await side.query<{
        occurred_at: Date;
        action: string;
        subject: number;
        details: unknown;
        lag: number;
      }>(
        `DELETE FROM staged RETURNING occurred_at, action, subject, details,
           extract(epoch FROM clock_timestamp() - occurred_at) * 1000 AS lag`,
      );
      const rows = taken.rows.sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime());
      if (rows.length === 0) {
        await side.query('COMMIT');
        continue;
      }
      const leaves = rows.map((r) =>
        sha(`${r.occurred_at.toISOString()}|${r.action}|${r.subject}|${JSON.stringify(r.details)}`),
      );
      const root = merkleRoot(leaves);
      const head = await side.query<{ seq: string; hash: string }>(
        'SELECT b.seq::text AS seq, b.hash FROM batches b ORDER BY b.seq DESC LIMIT 1 FOR UPDATE',
      );
      const seq = BigInt(head.rows[0].seq) + 1n;
      const hash = sha(`${head.rows[0].hash}\n${seq}|${root}|${rows.length}`);
      await side.query(
        `INSERT INTO batches (seq, root, prev_hash, hash, records, at)
         VALUES ($1, $2, $3, $4, $5, now())`,
        [seq.toString(), root, head.rows[0].hash, hash, rows.length],
      );
      await side.query(
        `INSERT INTO sealed_events (batch, leaf, occurred_at, action, subject, details, leaf_hash)
         SELECT $1, x.leaf, x.occurred_at, x.action, x.subject, x.details, x.leaf_hash
           FROM unnest($2::int[], $3::timestamptz[], $4::text[], $5::int[], $6::jsonb[], $7::text[])
             AS x(leaf, occurred_at, action, subject, details, leaf_hash)`,
        [
          seq.toString(),
          rows.map((_, i) => i),
          rows.map((r) => r.occurred_at),
          rows.map((r) => r.action),
          rows.map((r) => r.subject),
          rows.map((r) => JSON.stringify(r.details)),
          leaves,
        ],
      );
      await side.query('COMMIT');
      sealed += rows.length;
      maxSealLagMs = Math.max(maxSealLagMs, ...rows.map((r) => Number(r.lag)));
    }
  })();
  await Promise.all(writers);
  const seconds = (Date.now() - t0) / 1000;
  stop = true;
  await sideJob;
  await Promise.all([...clients, side].map((c) => c.end()));
  return {
    variant,
    commits,
    perSecond: commits / seconds,
    ...(variant === 'merkle' ? { sealed, maxSealLagMs } : {}),
    ...(variant === 'partitioned' ? { checkpoints } : {}),
  };
}

async function main(): Promise<void> {
  const db = await createDatabase();
  const admin = new Client({ connectionString: db.url });
  await admin.connect();
  const watchdog = setTimeout(
    () => {
      console.error('bench:chain exceeded its time: aborting');
      process.exit(3);
    },
    (ROUNDS * VARIANTS.length * (SECONDS + 10) + 60) * 1000,
  );
  watchdog.unref();
  try {
    await admin.query(SCHEMA);
    const settings = await admin.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')`,
    );
    const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
    const runs: Record<Variant, Round[]> = { none: [], one: [], partitioned: [], merkle: [] };
    for (let r = 0; r < ROUNDS; r++)
      for (const v of VARIANTS) {
        const x = await round(db.url, v, admin);
        runs[v].push(x);
        console.error(`round ${r + 1}/${ROUNDS} ${v}: ${fmt(x.perSecond)} appends/s`);
      }
    const rate = (v: Variant): number[] => runs[v].map((x) => x.perSecond);
    const versus = (v: Variant): string =>
      fmtSpread(spread(pairedRatios(rate(v), rate('one'))), 2, '×');
    console.log(
      JSON.stringify(
        {
          writers: WRITERS,
          seconds: SECONDS,
          rounds: ROUNDS,
          chains: CHAINS,
          postgres: Object.fromEntries(settings.rows.map((s) => [s.name, s.setting])),
          loadAverage: { start: loadAtStart, end: loadavg().map((x) => Math.round(x * 100) / 100) },
          appendsPerSecond: {
            oneChain: fmt(median(rate('one'))),
            partitioned: fmt(median(rate('partitioned'))),
            merkleBatched: fmt(median(rate('merkle'))),
            noRecord: fmt(median(rate('none'))),
          },
          ratioToOneChain: {
            partitioned: versus('partitioned'),
            merkleBatched: versus('merkle'),
            noRecord: versus('none'),
          },
          merkleSealLagMaxMs: fmt(Math.max(...runs.merkle.map((x) => x.maxSealLagMs ?? 0))),
          merkleAllSealed: runs.merkle.every((x) => x.sealed === x.commits),
          rounds_: runs,
        },
        null,
        2,
      ),
    );
  } finally {
    await admin.end();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
