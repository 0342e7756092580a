import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import sharp from 'sharp';
import { authHeader, type SignedIn } from '../support/auth';
import { type AckResult, type Client, request } from '../support/signaling-client';
import type { TestApp } from '../support/test-app';

export interface ChatMessageBody {
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  clientId: string;
  text: string | null;
  attachment: { id: string; name: string; contentType: string; sizeBytes: number } | null;
  erased: boolean;
  createdAt: string;
}

export function sendChat(
  socket: Client,
  roomId: string,
  body: { text?: string; attachmentId?: string; clientId?: string },
): Promise<AckResult> {
  return request(socket, 'chat:send', { roomId, clientId: randomUUID(), ...body });
}

export function messageOf(ack: AckResult): ChatMessageBody {
  if (!ack.ok) throw new Error(`chat:send refused: ${JSON.stringify(ack.error)}`);
  return (ack.data as { message: ChatMessageBody }).message;
}

export async function history(
  t: TestApp,
  who: SignedIn,
  roomId: string,
  query = '',
): Promise<{ status: number; body: { items: ChatMessageBody[]; nextCursor: string | null } }> {
  const res = await t
    .http()
    .get(`/api/v1/rooms/${roomId}/messages${query}`)
    .set(authHeader(who.accessToken));
  return {
    status: res.status,
    body: res.body as { items: ChatMessageBody[]; nextCursor: string | null },
  };
}

export async function upload(
  t: TestApp,
  who: SignedIn,
  roomId: string,
  bytes: Buffer,
  filename: string,
  contentType = 'application/octet-stream',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await t
    .http()
    .post(`/api/v1/rooms/${roomId}/attachments`)
    .set(authHeader(who.accessToken))
    .attach('file', bytes, { filename, contentType });
  return { status: res.status, body: res.body as Record<string, unknown> };
}

// A photo as phones take them: EXIF with a camera, an owner's name and a GPS position.
export function photoWithGps(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 180, g: 60, b: 60 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'SecretCam', Artist: 'Ayse Hasta' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '41/1 0/1 0/1' },
    })
    .toBuffer();
}

export function smallPdf(): Buffer {
  return Buffer.from(
    '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
    'latin1',
  );
}

// A room's turn as it went over the wire (docs/chat.md, "Delivery"): the statements on the
// turn's connection from its advisory lock to its unlock, and for each the round trip it went
// out in on that connection.
export interface WireTurn {
  statements: string[];
  roundTrips: number[];
}

// Every statement sent to PostgreSQL until restore(), by connection: a statement sent while no
// other awaits its answer on that connection starts a round trip; one sent while another is in
// flight (a read behind a lock) rides in it. (As test/calls/calls.e2e-spec.ts counts them.)
export function tapTurns(): { turns: () => WireTurn[]; restore: () => void } {
  const wire = new Map<object, { sent: { text: string; roundTrip: number }[]; waiting: number }>();
  let roundTrips = 0;
  const proto = PgClient.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: object, ...args: unknown[]): unknown {
    const first = args[0] as string | { text: string };
    const on = wire.get(this) ?? { sent: [], waiting: 0 };
    wire.set(this, on);
    if (on.waiting++ === 0) roundTrips++;
    on.sent.push({ text: typeof first === 'string' ? first : first.text, roundTrip: roundTrips });
    const answer = original.apply(this, args);
    const settled = (): void => void on.waiting--;
    if (answer instanceof Promise) answer.then(settled, settled);
    else settled();
    return answer;
  };
  const turns = (): WireTurn[] =>
    [...wire.values()].flatMap(({ sent }) => {
      const out: WireTurn[] = [];
      let open: WireTurn | undefined;
      for (const { text, roundTrip } of sent) {
        if (text.includes('pg_advisory_lock(')) open = { statements: [], roundTrips: [] };
        open?.statements.push(text);
        open?.roundTrips.push(roundTrip);
        if (open && text.includes('pg_advisory_unlock_all')) {
          out.push(open);
          open = undefined;
        }
      }
      return out;
    });
  return { turns, restore: () => (proto.query = original) };
}
