import { createHash } from 'node:crypto';
import type { Client } from 'pg';

// What a SIEM receiver does with the messages Hekim sends (docs/siem.md#checking-the-chain):
// parse each one, keep the first message of each seq (a record sent twice is the same
// message), and check that the kept records are consecutive and each one's hash is
// SHA-256(prevHash || "\n" || MSG) and its prevHash the hash of the one before.
const LINE =
  /^<(\d+)>1 (\S+) (\S+) hekim - (\S+) \[hekim@32473 seq="(\d+)" hash="([0-9a-f]{64})" prevHash="([0-9a-f]{64})"\] \uFEFF(.*)$/;

export interface ReceivedRecord {
  pri: number;
  timestamp: string;
  action: string;
  seq: number;
  hash: string;
  prevHash: string;
  message: string;
}

export function parseReceived(line: string): ReceivedRecord {
  const m = LINE.exec(line);
  if (!m) throw new Error(`not a Hekim audit message: ${line.slice(0, 200)}`);
  return {
    pri: Number(m[1]),
    timestamp: m[2],
    action: m[4],
    seq: Number(m[5]),
    hash: m[6],
    prevHash: m[7],
    message: m[8],
  };
}

export interface ChainCheck {
  // Distinct records, by seq, in order.
  records: ReceivedRecord[];
  // How many messages repeated a seq already received.
  duplicates: number;
}

// Throws on the first problem; `lines` are in the order the collector received them.
export function checkReceivedChain(lines: string[]): ChainCheck {
  const bySeq = new Map<number, ReceivedRecord>();
  let duplicates = 0;
  let highest = 0;
  for (const line of lines) {
    const r = parseReceived(line);
    const seen = bySeq.get(r.seq);
    if (seen) {
      if (seen.hash !== r.hash || seen.message !== r.message)
        throw new Error(`seq ${r.seq} arrived twice with different contents`);
      duplicates++;
      continue;
    }
    // In order: a new record is always the next one (a resent batch repeats, never skips).
    if (highest !== 0 && r.seq !== highest + 1)
      throw new Error(`seq ${r.seq} arrived after ${highest}: out of order or a gap`);
    const expected = createHash('sha256')
      .update(`${r.prevHash}\n${r.message}`, 'utf8')
      .digest('hex');
    if (expected !== r.hash) throw new Error(`seq ${r.seq}: hash does not match its message`);
    const before = bySeq.get(r.seq - 1);
    if (before && before.hash !== r.prevHash) throw new Error(`seq ${r.seq}: does not link`);
    bySeq.set(r.seq, r);
    highest = r.seq;
  }
  const records = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return { records, duplicates };
}

export async function headSeq(db: Client): Promise<number> {
  return Number((await db.query<{ seq: string }>('SELECT seq FROM audit_chain_head')).rows[0].seq);
}

export async function cursorSeq(db: Client): Promise<number> {
  return Number(
    (await db.query<{ seq: string }>('SELECT seq FROM siem_forwarding_cursor')).rows[0].seq,
  );
}

export async function hashOf(db: Client, seq: number): Promise<string> {
  return (await db.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = $1', [seq]))
    .rows[0].hash;
}

// A sample of /metrics: the value of an unlabelled metric.
export function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} is not in /metrics`);
  return Number(m[1]);
}
