import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { authHeader, type SignedIn } from '../support/auth';
import { tapPgWire, type WireSpan } from '../support/pg-wire-tap';
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
export type WireTurn = WireSpan;

// Every turn sent to PostgreSQL until restore(), by connection (test/support/pg-wire-tap.ts
// counts the round trips, as for test/calls/calls.e2e-spec.ts).
export function tapTurns(): { turns: () => WireTurn[]; restore: () => void } {
  const { spans, restore } = tapPgWire({
    opens: (sql) => sql.includes('pg_advisory_lock('),
    closes: (sql) => sql.includes('pg_advisory_unlock_all'),
  });
  return { turns: spans, restore };
}
