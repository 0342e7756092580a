import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { RunRetention } from '../../src/modules/compliance/retention/run-retention.usecase';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { careRoom } from '../support/care';
import { type Client, connect, Inbox } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';
import {
  type ChatMessageBody,
  history,
  messageOf,
  photoWithGps,
  sendChat,
  smallPdf,
  upload,
} from './chat-support';

const MAX_BYTES = 400_000;

interface Summary {
  id: string;
  name: string;
  contentType: string;
  sizeBytes: number;
}

// Files in the chat (docs/chat.md, "Files"): judged by content, metadata stripped, sealed,
// downloaded as attachments by members only, every download audited; hostile files refused.
describe('chat: files', () => {
  let t: TestApp;
  let db: DataSource;
  let doctor: SignedIn;
  let patient: SignedIn;
  let roomId: string;
  let p: Client;
  let d: Client;
  let dInbox: Inbox;

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { ATTACHMENT_MAX_BYTES: String(MAX_BYTES) } });
    db = t.app.get(DataSource);
    doctor = await signIn(t, Role.Doctor);
    patient = await signIn(t, Role.Patient);
    roomId = await careRoom(t, doctor, patient);
    p = await connect(t, { token: patient.accessToken });
    d = await connect(t, { token: doctor.accessToken });
    dInbox = new Inbox(d);
  });
  afterAll(async () => {
    p.close();
    d.close();
    await t.close();
  });

  const download = (who: SignedIn, id: string) =>
    t
      .http()
      .get(`/api/v1/attachments/${id}`)
      .set(authHeader(who.accessToken))
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });

  async function uploaded(bytes: Buffer, name: string, type?: string): Promise<Summary> {
    const res = await upload(t, patient, roomId, bytes, name, type);
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as unknown as Summary;
  }

  it('stores a photo without its EXIF, sealed, and sends it in a message', async () => {
    const photo = await photoWithGps();
    const file = await uploaded(photo, 'rash.jpg', 'image/jpeg');
    expect(file).toMatchObject({ name: 'rash.jpg', contentType: 'image/jpeg' });

    // At rest: neither the JPEG nor its metadata nor its name.
    const [row] = await db.query<{ content: Buffer; name_sealed: string }[]>(
      'SELECT content, name_sealed FROM chat_attachments WHERE id = $1',
      [file.id],
    );
    expect(row.content.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
    expect(row.content.includes(Buffer.from('SecretCam'))).toBe(false);
    expect(row.name_sealed).not.toContain('rash');

    // Not sent yet: only its uploader sees it.
    expect((await download(doctor, file.id)).status).toBe(404);

    const sent = messageOf(
      await sendChat(p, roomId, { attachmentId: file.id, text: 'Bu döküntü' }),
    );
    expect(sent.attachment).toEqual(file);
    const heard = (
      await dInbox.next('chat:message', (e) => (e.message as ChatMessageBody).id === sent.id)
    ).message as ChatMessageBody;
    expect(heard.attachment?.id).toBe(file.id);

    const res = await download(doctor, file.id);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['content-disposition']).toBe('attachment; filename="rash.jpg"');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.body as Buffer;
    expect(body.length).toBe(file.sizeBytes);
    expect(body.includes(Buffer.from('SecretCam'))).toBe(false);
    expect(body.includes(Buffer.from('Ayse Hasta'))).toBe(false);
    const meta = await sharp(body).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
    expect(meta.exif).toBeUndefined();

    // Every download is audited with its basis, never the name.
    const audits = await db.query<
      { outcome: string; subject_id: string; details: Record<string, unknown> }[]
    >(
      `SELECT outcome, subject_id, details FROM audit_events
        WHERE action = 'chat.attachment_download' AND resource_id = $1 ORDER BY seq`,
      [file.id],
    );
    expect(audits.map((a) => a.outcome)).toEqual(['denied', 'success']);
    expect(audits[1]).toMatchObject({
      subject_id: patient.user.id,
      details: { basis: 'room_member', roomId, contentType: 'image/jpeg' },
    });
    expect(JSON.stringify(audits)).not.toContain('rash');

    // A file goes out in one message only.
    expect((await sendChat(p, roomId, { attachmentId: file.id })).error).toMatchObject({
      code: 'CONFLICT',
      reason: 'ATTACHMENT_ALREADY_SENT',
    });
    // Nobody sends a file someone else uploaded.
    const mine = await uploaded(smallPdf(), 'report.pdf');
    expect((await sendChat(d, roomId, { attachmentId: mine.id })).error).toMatchObject({
      code: 'NOT_FOUND',
      reason: 'ATTACHMENT_NOT_FOUND',
    });
  });

  it('downloads only for members: strangers, unrelated staff, admins and officers get 404', async () => {
    const file = await uploaded(smallPdf(), 'lab.pdf');
    messageOf(await sendChat(p, roomId, { attachmentId: file.id }));
    for (const role of [Role.Patient, Role.Doctor, Role.Admin, Role.ComplianceOfficer]) {
      const other = await signIn(t, role);
      expect((await download(other, file.id)).status).toBe(404);
      expect((await upload(t, other, roomId, smallPdf(), 'x.pdf')).status).toBeGreaterThanOrEqual(
        403,
      );
    }
    expect((await t.http().get(`/api/v1/attachments/${file.id}`)).status).toBe(401);
    expect((await download(patient, file.id)).status).toBe(200);
    const denied = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events
        WHERE action = 'chat.attachment_download' AND resource_id = $1 AND outcome = 'denied'`,
      [file.id],
    );
    expect(denied[0].n).toBe(4);
  });

  it('judges by content: a PDF named .png is stored and served as a PDF', async () => {
    const file = await uploaded(smallPdf(), 'scan.png', 'image/png');
    expect(file).toMatchObject({ name: 'scan.pdf', contentType: 'application/pdf' });
    messageOf(await sendChat(p, roomId, { attachmentId: file.id }));
    const res = await download(doctor, file.id);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe('attachment; filename="scan.pdf"');
  });

  it('refuses hostile and broken files with a reason', async () => {
    const reasonOf = async (bytes: Buffer, name: string) => {
      const res = await upload(t, patient, roomId, bytes, name, 'image/jpeg');
      return [res.status, res.body.reason ?? res.body.code];
    };
    // Over ATTACHMENT_MAX_BYTES: refused while it streams in.
    expect(await reasonOf(Buffer.alloc(MAX_BYTES + 1, 1), 'big.jpg')).toEqual([
      413,
      'PAYLOAD_TOO_LARGE',
    ]);
    // A small file that decodes to 49 megapixels.
    const bomb = await sharp({
      create: { width: 7000, height: 7000, channels: 3, background: '#fff' },
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(MAX_BYTES);
    expect(await reasonOf(bomb, 'bomb.png')).toEqual([413, 'IMAGE_TOO_LARGE']);
    // Cut in the middle.
    const photo = await photoWithGps(400, 300);
    expect(await reasonOf(photo.subarray(0, Math.floor(photo.length / 2)), 'half.jpg')).toEqual([
      400,
      'FILE_DAMAGED',
    ]);
    // Not an accepted type, whatever its name says.
    expect(await reasonOf(Buffer.from('<svg onload="alert(1)"/>'), 'x.jpg')).toEqual([
      400,
      'UNSUPPORTED_FILE_TYPE',
    ]);
    // A PDF that is also an HTML page, and one that runs a script.
    const htmlPdf = Buffer.concat([
      smallPdf(),
      Buffer.from('<html><script>alert(1)</script>\n%%EOF\n'),
    ]);
    expect(await reasonOf(htmlPdf, 'x.pdf')).toEqual([400, 'FILE_ACTIVE_CONTENT']);
    const scripted = Buffer.from(
      '%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n',
    );
    expect(await reasonOf(scripted, 'x.pdf')).toEqual([400, 'FILE_ACTIVE_CONTENT']);
    // No file at all.
    const empty = await t
      .http()
      .post(`/api/v1/rooms/${roomId}/attachments`)
      .set(authHeader(patient.accessToken))
      .field('note', 'no file');
    expect(empty.status).toBe(400);
    const none = await t
      .http()
      .post(`/api/v1/rooms/${roomId}/attachments`)
      .set(authHeader(patient.accessToken))
      .set('Content-Type', 'multipart/form-data; boundary=x')
      .send('--x--\r\n');
    expect(none.status).toBe(400);
    expect((none.body as { reason?: string }).reason).toBe('FILE_MISSING');
  });

  it('keeps only the pixels of a polyglot: a JPEG carrying a script and an archive', async () => {
    const polyglot = Buffer.concat([
      await photoWithGps(),
      Buffer.from('PK\u0003\u0004<script>alert(document.cookie)</script>%PDF-1.4'),
    ]);
    const file = await uploaded(polyglot, 'poly.jpg');
    expect(file.contentType).toBe('image/jpeg');
    messageOf(await sendChat(p, roomId, { attachmentId: file.id }));
    const body = (await download(doctor, file.id)).body as Buffer;
    expect(body.includes(Buffer.from('<script>'))).toBe(false);
    expect(body.includes(Buffer.from('PK\u0003\u0004'))).toBe(false);
  });

  it('answers a truncated upload (the connection ends mid-body) with 400 and stores nothing', async () => {
    const before = await db.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM chat_attachments',
    );
    const photo = await photoWithGps(200, 200);
    const head = Buffer.from(
      '--cut\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n',
    );
    const body = Buffer.concat([head, photo.subarray(0, 500)]);
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/api/v1/rooms/${roomId}/attachments`,
          headers: {
            ...authHeader(patient.accessToken),
            'Content-Type': 'multipart/form-data; boundary=cut',
            'Content-Length': body.length,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(400);
    const after = await db.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM chat_attachments',
    );
    expect(after[0].n).toBe(before[0].n);
  });
});

// Retention (docs/chat.md, "Retention"): messages and files older than RETENTION_MESSAGES_DAYS go.
describe('chat: retention', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { RETENTION_MESSAGES_DAYS: '30' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  it('destroys messages and files past the retention period and keeps the rest', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const roomId = await careRoom(t, doctor, patient);
    const p = await connect(t, { token: patient.accessToken });
    try {
      const file = (await upload(t, patient, roomId, smallPdf(), 'old.pdf'))
        .body as unknown as Summary;
      const old = messageOf(await sendChat(p, roomId, { text: 'old', attachmentId: file.id }));
      const recent = messageOf(await sendChat(p, roomId, { text: 'recent' }));
      await db.query(
        `UPDATE chat_messages SET created_at = now() - interval '31 days' WHERE id = $1`,
        [old.id],
      );
      await db.query(
        `UPDATE chat_attachments SET created_at = now() - interval '31 days' WHERE id = $1`,
        [file.id],
      );
      const result = await t.app.get(RunRetention).execute('command');
      expect(result).toMatchObject({ messagesDeleted: 1, attachmentsDeleted: 1 });
      expect((await history(t, patient, roomId)).body.items.map((m) => m.id)).toEqual([recent.id]);
    } finally {
      p.close();
    }
  });
});

// Erasure (docs/chat.md, "Erasure"): the patient's messages and files, and what clinicians wrote
// about them, become unreadable; the export had them before; the audit chain still verifies.
describe('chat: export and erasure', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  it('exports the chat, then after erasure leaves only erased tombstones and a valid chain', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const officer = await signIn(t, Role.ComplianceOfficer);
    const roomId = await careRoom(t, doctor, patient);
    const p = await connect(t, { token: patient.accessToken });
    const d = await connect(t, { token: doctor.accessToken });
    try {
      const res = await upload(t, patient, roomId, smallPdf(), 'hiv-test.pdf');
      const file = res.body as unknown as Summary;
      const mine = messageOf(
        await sendChat(p, roomId, { text: 'Sonucum ektedir', attachmentId: file.id }),
      );
      const theirs = messageOf(await sendChat(d, roomId, { text: 'Negatif, endişelenmeyin' }));

      const exported = await t
        .http()
        .get('/api/v1/users/me/data-export')
        .set(authHeader(patient.accessToken))
        .expect(200);
      const chat = (
        exported.body as {
          sections: { chat: { messages: ChatMessageBody[]; attachments: Summary[] } };
        }
      ).sections.chat;
      expect(chat.messages.map((m) => m.text)).toEqual([
        'Sonucum ektedir',
        'Negatif, endişelenmeyin',
      ]);
      expect(chat.attachments).toEqual([
        expect.objectContaining({ id: file.id, name: 'hiv-test.pdf' }),
      ]);

      await t
        .http()
        .post('/api/v1/users/me/erasure-request')
        .set(authHeader(patient.accessToken))
        .expect(202);
      const requests = await t
        .http()
        .get('/api/v1/compliance/requests')
        .set(authHeader(officer.accessToken));
      const open = (requests.body as { items: { id: string; userId: string }[] }).items.find(
        (r) => r.userId === patient.user.id,
      );
      const approved = await t
        .http()
        .post(`/api/v1/compliance/erasure-requests/${open?.id}/approve`)
        .set(authHeader(officer.accessToken));
      expect(approved.status).toBe(200);
      expect((approved.body as { destroyed: Record<string, number> }).destroyed.chat).toBe(3);

      // The doctor still sees the room's sequence, but nothing of its content.
      const page = await history(t, doctor, roomId);
      expect(page.body.items.map((m) => [m.id, m.text, m.attachment, m.erased])).toEqual([
        [theirs.id, null, null, true],
        [mine.id, null, null, true],
      ]);
      expect(
        (await t.http().get(`/api/v1/attachments/${file.id}`).set(authHeader(doctor.accessToken)))
          .status,
      ).toBe(404);
      const rows = await db.query<{ body: string | null }[]>(
        'SELECT body FROM chat_messages WHERE room_id = $1',
        [roomId],
      );
      expect(rows.every((r) => r.body === null)).toBe(true);
      const [fileRow] = await db.query<{ content: Buffer | null }[]>(
        'SELECT content FROM chat_attachments WHERE id = $1',
        [file.id],
      );
      expect(fileRow.content).toBeNull();
      const keys = await db.query<unknown[]>('SELECT 1 FROM patient_data_keys WHERE user_id = $1', [
        patient.user.id,
      ]);
      expect(keys).toHaveLength(0);

      // The chat forgot the shredded key it sealed with (ChatKeys): what the doctor writes
      // next is sealed under a key that exists, and reads back.
      const next = messageOf(await sendChat(d, roomId, { text: 'Kontrol randevusu' }));
      const after = await history(t, doctor, roomId);
      expect(after.body.items[0]).toMatchObject({
        id: next.id,
        text: 'Kontrol randevusu',
        erased: false,
      });

      const verify = await t
        .http()
        .get('/api/v1/audit/verify')
        .set(authHeader(officer.accessToken));
      expect(verify.body).toMatchObject({ valid: true });
    } finally {
      p.close();
      d.close();
    }
  });
});
