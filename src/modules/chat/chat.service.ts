import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { auditActor, type AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { MemberRole } from '../rooms/room.entity';
import { AppException } from '../../common/errors/app.exception';
import type { RequestMeta } from '../../common/http/request-meta';
import { DEFAULT_PAGE_SIZE } from '../../common/http/cursor';
import { AppConfig } from '../../config/app-config';
import { behindLockOn } from '../../infra/database/behind-lock';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { RoomStatus } from '../rooms/room.entity';
import { RoomsService } from '../rooms/rooms.service';
import { PatientProfileService } from '../users/patient-profile/patient-profile.service';
import { UsersService } from '../users/users.service';
import { ChatAccess, type ChatStanding } from './chat-access';
import { ChatCipher } from './chat-cipher';
import { ChatEvents } from './chat-events';
import { ChatKeys } from './chat-keys';
import { ChatMetrics } from './chat.metrics';
import { ChatRateLimit } from './chat-rate-limit';
import { type ChatAttachmentEntity, ChatMessageEntity, type ChatRoomEntity } from './chat.entity';
import { ChatErrors } from './chat.errors';
import {
  decodeSeqCursor,
  encodeSeqCursor,
  type KeyLookup,
  memoKeys,
  attachmentSummary,
  toMessageResponse,
} from './chat.mapper';
import { ChatRepository } from './chat.repository';
import type {
  ChatMessageListResponse,
  ChatMessageResponse,
  ChatRoomSettings,
  ListMessagesQuery,
  ReadPayload,
  SendMessagePayload,
} from './dto/chat.dto';
import { GroupQueue, type Outcome, type Worked } from './room-queue';
import { plainText } from './text-policy';

// Messages in a room (docs/chat.md): sent over signaling, kept sealed under the subject
// patient's data key, delivered by the signaling edge to the audience the send decided.
// Handlers follow one order: standing, limits, act, tell.
@Injectable()
export class ChatService {
  private readonly logger = new Logger('ChatService');
  // This instance's sends, one room's group at a time (GroupQueue).
  private readonly turns = new GroupQueue<Placing, ChatMessageResponse, Turn, RoomNow>(
    {
      begin: () => this.beginTurn(),
      read: (turn, roomId) => this.roomNow(turn, roomId),
      // Files are claimed in a transaction of the group's own.
      alone: (items) => items.some((item) => item.row.attachmentId !== null),
      work: (turn, roomId, items, room) => this.placeMessages(turn, roomId, items, room),
      end: (runner) => this.endTurn(runner),
    },
    GROUP_MAX,
    TURN_GROUPS,
  );
  // Senders' standings for sends (standingToSend), and the rooms' subjects once known (a room's
  // subject never changes once set).
  private readonly standings = new Map<string, { standing: ChatStanding; until: number }>();
  private readonly readingStandings = new Map<string, Promise<ChatStanding>>();
  private readonly subjects = new Map<string, string>();
  // Rooms whose chat row this instance has made sure of (chat rows are never deleted while
  // their room exists).
  private readonly chatRows = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: ChatRepository,
    private readonly access: ChatAccess,
    private readonly rooms: RoomsService,
    private readonly users: UsersService,
    private readonly keys: PatientProfileService,
    private readonly sealing: ChatKeys,
    private readonly rate: ChatRateLimit,
    private readonly events: ChatEvents,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly metrics: ChatMetrics,
  ) {}

  // `chat:send`. A clientId the sender already used in this room answers the message it made
  // (a resend after a reconnect, to whichever instance), and nobody hears it twice; a resend
  // is answered even when the sender is over their limit, the room closed since or the file
  // already went out with it. Everything that can be done before the room's turn is: the
  // checks (from a short-lived copy of the sender's standing), the key, the sealing; the
  // turn itself checks the room again, numbers, stores and publishes the messages waiting for
  // it together (`placeMessages`).
  async send(actor: AuthUser, p: SendMessagePayload): Promise<{ message: ChatMessageResponse }> {
    const started = performance.now();
    const text = plainText(p.text, this.config.chat.maxTextLength);
    const attachmentId = p.attachmentId ?? null;
    if (text === null && attachmentId === null) throw ChatErrors.empty();
    try {
      const message = await this.sendNew(actor, p, text, attachmentId);
      this.metrics.since('send', started);
      return { message };
    } catch (err) {
      if (!(err instanceof AppException || err instanceof AlreadySent || err instanceof Refused))
        throw err;
      const known = await this.repeated(actor, p.roomId, p.clientId, text, attachmentId);
      if (known) return { message: known };
      if (err instanceof Refused) throw await this.refusal(actor, p.roomId);
      throw err;
    }
  }

  private async sendNew(
    actor: AuthUser,
    p: SendMessagePayload,
    text: string | null,
    attachmentId: string | null,
  ): Promise<ChatMessageResponse> {
    const m = this.dataSource.manager;
    const standing = await this.standingToSend(actor, p.roomId);
    if (standing.room.status !== RoomStatus.Open) throw ChatErrors.closed();
    await this.rate.admit(actor.id, p.roomId);
    const known = this.subjects.get(p.roomId) ?? standing.chat?.subjectId ?? null;
    if (!standing.chat && !this.chatRows.has(p.roomId)) {
      await this.repo.ensureRoom(p.roomId, m);
      if (this.chatRows.size >= MAX_CACHED) this.chatRows.clear();
      this.chatRows.add(p.roomId);
    }
    const subjectId = await this.subjectFor(actor, { roomId: p.roomId, subjectId: known }, m);
    const key = await this.sealing.forSealing(subjectId);
    const id = randomUUID();
    const attachment = attachmentId
      ? await this.usableAttachment(actor, p.roomId, attachmentId, m)
      : undefined;
    const row: NewMessage = {
      id,
      senderId: actor.id,
      subjectId,
      clientId: p.clientId,
      body: text === null ? null : ChatCipher.sealText(key, id, subjectId, text),
      attachmentId,
    };
    const file = attachment ? attachmentSummary({ ...attachment, messageId: id }, key) : null;
    return this.turns.run(p.roomId, {
      queuedAt: performance.now(),
      row,
      remember: known === null && subjectId !== actor.id ? subjectId : null,
      // What everyone is told once it has its number: the text as written, not opened again.
      respond: (at) => ({
        id,
        roomId: p.roomId,
        seq: Number(at.seq),
        senderId: actor.id,
        clientId: p.clientId,
        text,
        attachment: file,
        erased: attachmentId !== null && file === null,
        createdAt: at.createdAt.toISOString(),
      }),
    });
  }

  // The sender's standing for a send, from a copy at most STANDING_TTL_MS old. Only a first
  // answer: the message's turn checks the room again (ChatAccess.now), so a removed member is
  // refused from the removal's commit on, whatever the copy says.
  private async standingToSend(actor: AuthUser, roomId: string): Promise<ChatStanding> {
    const key = `${actor.id}:${roomId}`;
    const known = this.standings.get(key);
    if (known && known.until > Date.now()) return known.standing;
    // The sender's other sends that miss at the same moment share one read.
    const reading = this.readingStandings.get(key);
    if (reading) return reading;
    const read = this.access.standing(actor, roomId, this.dataSource.manager).then(
      (standing) => {
        this.readingStandings.delete(key);
        if (this.standings.size >= MAX_CACHED) this.standings.clear();
        this.standings.set(key, { standing, until: Date.now() + STANDING_TTL_MS });
        return standing;
      },
      (err: unknown) => {
        this.readingStandings.delete(key);
        throw err;
      },
    );
    this.readingStandings.set(key, read);
    return read;
  }

  // Why the turn refused a sender: their standing read afresh, which throws the reason.
  private async refusal(actor: AuthUser, roomId: string): Promise<AppException> {
    this.standings.delete(`${actor.id}:${roomId}`);
    const standing = await this.access.standing(actor, roomId, this.dataSource.manager);
    if (standing.room.status !== RoomStatus.Open) return ChatErrors.closed();
    // Admitted or removed between the two reads: refused as waiting, the likelier.
    return ChatErrors.waiting();
  }

  // A room's turn (group commit, docs/chat.md, "Delivery"): the room's advisory lock on a
  // connection of its own, kept for up to TURN_GROUPS groups in a row while this instance's
  // sends keep waiting for it (GroupQueue), then given back with the connection.
  // The lock itself is sent by the turn's first group, with the room's read behind it.
  private async beginTurn(): Promise<Turn> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      return { runner, client, locked: false };
    } catch (err) {
      await runner.release();
      throw err;
    }
  }

  private async endTurn({ runner }: Turn): Promise<void> {
    try {
      // A broken connection has lost its locks with its session.
      await this.repo.endTurn(runner.manager).catch(() => undefined);
    } finally {
      await runner.release();
    }
  }

  // One group of the room's turn, given the room as read for it (roomNow: open? who hears
  // it?, read once all of the group's sends were there, beside the previous group's insert):
  // the files claimed and the messages numbered and inserted in one statement (one
  // transaction when files are claimed); the commit; the publication to every instance,
  // issued before the next group's insert can be (which waits for this one's answer) and
  // awaited before the unlock. So a room's messages reach Redis, and from there every
  // instance, in `seq` order, and each is acknowledged only once stored and published.
  private async placeMessages(
    turn: Turn,
    roomId: string,
    items: Placing[],
    { open, hearers }: RoomNow,
  ): Promise<Worked<ChatMessageResponse>> {
    const outcomes: (Outcome<ChatMessageResponse> | undefined)[] = items.map(() => undefined);
    const { runner } = turn;
    const tx = runner.manager;
    for (const item of items) this.metrics.since('queue', item.queuedAt);
    const inserting = performance.now();
    const firstOf = new Map<string, number>();
    const taking: number[] = [];
    items.forEach((item, i) => {
      const { senderId, clientId } = item.row;
      const same = `${senderId}:${clientId}`;
      if (!open) outcomes[i] = { ok: false, error: ChatErrors.closed() };
      else if (!hearers.includes(senderId)) outcomes[i] = { ok: false, error: new Refused() };
      // The same clientId twice in one group: the first is placed, the others answered as
      // resends.
      else if (firstOf.has(same)) outcomes[i] = { ok: false, error: new AlreadySent() };
      else {
        firstOf.set(same, i);
        taking.push(i);
      }
    });
    const claims = taking.filter((i) => items[i].row.attachmentId !== null);
    if (claims.length > 0) await runner.startTransaction();
    try {
      for (const i of claims) {
        const { attachmentId, id } = items[i].row;
        if (!(await this.repo.claimAttachment(attachmentId as string, id, tx)))
          outcomes[i] = { ok: false, error: ChatErrors.attachmentUsed() };
      }
      const rows = taking.filter((i) => outcomes[i] === undefined);
      const remember = rows.map((i) => items[i].remember).find((s) => s !== null) ?? null;
      const placed =
        rows.length === 0
          ? new Map<string, Placed>()
          : await this.repo.insertBatch(
              roomId,
              rows.map((i) => items[i].row),
              remember,
              tx,
            );
      if (claims.length > 0) await runner.commitTransaction();
      this.metrics.since('insert', inserting);
      for (const i of rows) {
        const at = placed.get(items[i].row.id);
        outcomes[i] = at
          ? { ok: true, value: items[i].respond(at) }
          : { ok: false, error: new AlreadySent() };
      }
      if (remember !== null && placed.size > 0) this.rememberSubject(roomId, remember);
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    }
    // Issued now, answered later: the turn goes on with its next group (whose publication is
    // issued after this one, on the same connection, so Redis accepts them in `seq` order)
    // while this one is on its way; these sends are answered once it is accepted.
    const publishing = performance.now();
    const published = this.publish(
      roomId,
      hearers,
      outcomes.flatMap((o) => (o?.ok ? [o.value] : [])),
    ).then(() => this.metrics.since('publish', publishing));
    return {
      outcomes: outcomes.map((o) => o ?? { ok: false, error: new AlreadySent() }),
      after: published,
    };
  }

  // The room as it stands in the turn (ChatAccess.now). The turn's first group sends the
  // room's lock and this read behind it in one round trip (behindLockOn, docs/chat.md
  // "Delivery"): the read runs once the lock is granted and sees what the previous holder
  // committed, as if sent after the lock's answer. A lock that fails throws (the group is
  // refused and the turn ends).
  private async roomNow(turn: Turn, roomId: string): Promise<RoomNow> {
    const reading = performance.now();
    const read = () => this.access.now(roomId, turn.runner.manager);
    if (turn.locked) {
      const room = await read();
      this.metrics.since('read', reading);
      return room;
    }
    const { result } = await behindLockOn(turn.client, this.repo.turnLock(roomId), read);
    turn.locked = true;
    this.metrics.since('read', reading);
    return result;
  }

  // Still in the turn: the placed messages, in `seq` order, to every instance. Stored is
  // stored: if Redis cannot take them, they are acknowledged all the same and read back
  // from the history.
  private async publish(
    roomId: string,
    hearers: string[],
    messages: ChatMessageResponse[],
  ): Promise<void> {
    try {
      await this.events.deliver(roomId, hearers, messages);
    } catch (err) {
      this.logger.warn(
        { roomId, count: messages.length, err: err instanceof Error ? err.message : String(err) },
        'could not publish chat messages; they are stored and in the history',
      );
    }
  }

  private rememberSubject(roomId: string, subjectId: string): void {
    if (this.subjects.size >= MAX_CACHED) this.subjects.clear();
    this.subjects.set(roomId, subjectId);
  }

  // `chat:typing`: heard by the others who may read the room's chat; nothing is stored.
  async typing(actor: AuthUser, roomId: string): Promise<void> {
    const m = this.dataSource.manager;
    const standing = await this.access.standing(actor, roomId, m);
    const recipientIds = (await this.access.audience(standing, m)).filter((id) => id !== actor.id);
    this.events.typing.next({ roomId, userId: actor.id, recipientIds });
  }

  // `chat:read`: the member has read up to this message; kept (only ever forward) and heard
  // by the others.
  async read(actor: AuthUser, p: ReadPayload): Promise<void> {
    const recipientIds = await this.dataSource.transaction(async (m) => {
      const standing = await this.access.standing(actor, p.roomId, m);
      const message = await this.repo.findMessage(p.messageId, m);
      if (!message || message.roomId !== p.roomId) throw AppException.notFound('The message');
      await this.repo.saveRead(
        {
          roomId: p.roomId,
          userId: actor.id,
          messageId: message.id,
          seq: message.seq,
          readAt: new Date(),
        },
        m,
      );
      return (await this.access.audience(standing, m)).filter((id) => id !== actor.id);
    });
    this.events.read.next({
      roomId: p.roomId,
      userId: actor.id,
      messageId: p.messageId,
      recipientIds,
    });
  }

  // `GET /rooms/:id/messages`: newest first, by sequence number; audited without the text.
  async history(
    actor: AuthUser,
    roomId: string,
    query: ListMessagesQuery,
    meta: RequestMeta,
  ): Promise<ChatMessageListResponse> {
    const beforeSeq = query.cursor === undefined ? undefined : decodeSeqCursor(query.cursor);
    if (beforeSeq === null)
      throw AppException.validation([{ field: 'cursor', messages: ['cursor is not valid'] }]);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    return this.dataSource.transaction(async (m) => {
      await this.access.standing(actor, roomId, m);
      const rows = await this.repo.page({ roomId, beforeSeq, limit: limit + 1 }, m);
      const page = rows.slice(0, limit);
      const attachments = new Map(
        (
          await this.repo.attachmentsByIds(
            page.flatMap((r) => (r.attachmentId ? [r.attachmentId] : [])),
            m,
          )
        ).map((a) => [a.id, a]),
      );
      const keyOf: KeyLookup = memoKeys((s) => this.keys.dataKey(s, m));
      const items: ChatMessageResponse[] = [];
      for (const row of page)
        items.push(
          await toMessageResponse(
            row,
            row.attachmentId ? attachments.get(row.attachmentId) : undefined,
            keyOf,
          ),
        );
      const subjectId = (await this.repo.findRoom(roomId, m))?.subjectId ?? null;
      await this.audit.record(
        {
          action: AuditAction.ChatHistoryRead,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'room', id: roomId },
          subjectId,
          requestId: meta.requestId,
          details: { count: items.length, basis: subjectId === actor.id ? 'self' : 'room_member' },
        },
        m,
      );
      const last = page.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeSeqCursor(Number(last.seq)) : null,
      };
    });
  }

  // `GET /rooms/:id/chat`: the setting and how far each member has read.
  async settings(actor: AuthUser, roomId: string): Promise<ChatRoomSettings> {
    const m = this.dataSource.manager;
    const standing = await this.access.standing(actor, roomId, m);
    return this.describe(standing, m);
  }

  // `PUT /rooms/:id/chat` (host, admin): whether people in the waiting room may chat.
  async updateSettings(
    actor: AuthUser,
    roomId: string,
    waitingMayChat: boolean,
    meta: RequestMeta,
  ): Promise<ChatRoomSettings> {
    return this.dataSource.transaction(async (m) => {
      const { room } = await this.rooms.manageable(actor, roomId, m);
      await this.repo.lockRoom(roomId, m);
      await this.repo.setRoom(roomId, { waitingMayChat }, m);
      await this.audit.record(
        {
          action: AuditAction.ChatSettingsUpdate,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'room', id: roomId },
          requestId: meta.requestId,
          details: { waitingMayChat },
        },
        m,
      );
      return this.describe({ room, waitingMayChat, isHost: room.hostId === actor.id }, m);
    });
  }

  // Whose data key seals what `actor` writes here: a patient's own words are theirs; what
  // others write is about the room's patient (the first patient member, then kept for the
  // room); a room without a patient uses the writer's own key. An appointment's invitee
  // without an account is its patient: a guest actor who is a plain participant of the room
  // (guests, interpreters and companions join under roles of their own).
  async subjectFor(
    actor: AuthUser,
    chat: Pick<ChatRoomEntity, 'roomId' | 'subjectId'>,
    m: EntityManager,
  ): Promise<string> {
    if (actor.role === Role.Patient) return actor.id;
    if (chat.subjectId) return chat.subjectId;
    const members = await this.rooms.activeMemberIds(chat.roomId, m);
    const users = await this.users.findByIds(members, m);
    const roleOf = (id: string) => users.find((u) => u.id === id)?.role;
    const patient = members.find((id) => roleOf(id) === Role.Patient);
    if (patient) return patient;
    for (const id of members.filter((member) => roleOf(member) === Role.Guest)) {
      if ((await this.rooms.memberRole(chat.roomId, id, m)) === MemberRole.Participant) return id;
    }
    return actor.id;
  }

  // Retention (compliance module): messages and files older than `before` are destroyed.
  destroyBefore(
    before: Date,
    m: EntityManager,
  ): Promise<{ messages: number; attachments: number }> {
    return this.repo.destroyBefore(before, m);
  }

  private async describe(standing: ChatStanding, m: EntityManager): Promise<ChatRoomSettings> {
    const reads = await this.repo.readsOf(standing.room.id, m);
    return {
      roomId: standing.room.id,
      waitingMayChat: standing.waitingMayChat,
      reads: reads.map((r) => ({
        userId: r.userId,
        messageId: r.messageId,
        seq: Number(r.seq),
        readAt: r.readAt.toISOString(),
      })),
    };
  }

  // The message this clientId already made, or null; a clientId reused for other content is
  // refused rather than silently answered with the old message.
  private async repeated(
    actor: AuthUser,
    roomId: string,
    clientId: string,
    text: string | null,
    attachmentId: string | null,
    m: EntityManager = this.dataSource.manager,
  ): Promise<ChatMessageResponse | null> {
    const found = await this.repo.findByClientId(roomId, actor.id, clientId, m);
    if (!found) return null;
    await this.access.standing(actor, roomId, m);
    const attachment = found.attachmentId
      ? (await this.repo.attachmentsByIds([found.attachmentId], m))[0]
      : undefined;
    const message = await toMessageResponse(
      found,
      attachment,
      memoKeys((s) => this.keys.dataKey(s, m)),
    );
    if (found.attachmentId !== attachmentId || (!message.erased && message.text !== text))
      throw ChatErrors.clientIdReused();
    return message;
  }

  // The caller's own unsent file of this room.
  private async usableAttachment(
    actor: AuthUser,
    roomId: string,
    attachmentId: string,
    m: EntityManager,
  ): Promise<ChatAttachmentEntity> {
    const [attachment] = await this.repo.attachmentsByIds([attachmentId], m);
    if (!attachment || attachment.roomId !== roomId || attachment.uploaderId !== actor.id)
      throw ChatErrors.attachmentUnknown();
    if (attachment.erasedAt || attachment.messageId !== null) throw ChatErrors.attachmentUsed();
    return attachment;
  }
}

// How long a sender's standing is taken as known for their next sends (standingToSend).
const STANDING_TTL_MS = 2000;
// Messages of one group (one insert, one publication), and groups one turn serves in a row
// while this instance's sends keep waiting for it; then the lock goes back, so that a room's
// turn passes between instances at least every TURN_GROUPS groups.
const GROUP_MAX = 64;
const TURN_GROUPS = 8;
const MAX_CACHED = 10_000;

type NewMessage = Omit<ChatMessageEntity, 'seq' | 'createdAt' | 'erasedAt' | 'room' | 'roomId'>;
type Placed = { seq: string; createdAt: Date };

// A room's turn on this instance: a connection of its own, and whether the room's lock has
// been taken on it yet (by the first group, roomNow).
interface Turn {
  runner: QueryRunner;
  client: PoolClient;
  locked: boolean;
}

// The room as its turn read it (ChatAccess.now).
type RoomNow = { open: boolean; hearers: string[] };

// A sealed message waiting for its room's turn.
interface Placing {
  // When it joined its room's queue (performance.now()).
  queuedAt: number;
  row: NewMessage;
  // The room's subject to keep, when this message is the one that decides it.
  remember: string | null;
  respond: (at: Placed) => ChatMessageResponse;
}

// A message whose clientId its sender used already (a resend, or one racing its original).
class AlreadySent extends Error {}

// A sender the room's turn did not find among those who may write.
class Refused extends Error {}
