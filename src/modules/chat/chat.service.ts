import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor, type AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { MemberRole } from '../rooms/room.entity';
import { AppException } from '../../common/errors/app.exception';
import type { RequestMeta } from '../../common/http/request-meta';
import { DEFAULT_PAGE_SIZE } from '../../common/http/cursor';
import { AppConfig } from '../../config/app-config';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { RoomStatus } from '../rooms/room.entity';
import { RoomsService } from '../rooms/rooms.service';
import { PatientProfileService } from '../users/patient-profile/patient-profile.service';
import { UsersService } from '../users/users.service';
import { ChatAccess, type ChatStanding } from './chat-access';
import { ChatCipher } from './chat-cipher';
import { ChatEvents } from './chat-events';
import { ChatRateLimit } from './chat-rate-limit';
import { type ChatAttachmentEntity, ChatMessageEntity, type ChatRoomEntity } from './chat.entity';
import { ChatErrors } from './chat.errors';
import {
  decodeSeqCursor,
  encodeSeqCursor,
  type KeyLookup,
  memoKeys,
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
import { KeyedQueue } from './room-queue';
import { plainText } from './text-policy';

// Messages in a room (docs/chat.md): sent over signaling, kept sealed under the subject
// patient's data key, delivered by the signaling edge to the audience the send decided.
// Handlers follow one order: standing, limits, act, tell.
@Injectable()
export class ChatService {
  // This instance's sends, one room at a time (KeyedQueue).
  private readonly turns = new KeyedQueue();

  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: ChatRepository,
    private readonly access: ChatAccess,
    private readonly rooms: RoomsService,
    private readonly users: UsersService,
    private readonly keys: PatientProfileService,
    private readonly rate: ChatRateLimit,
    private readonly events: ChatEvents,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  // `chat:send`. A clientId the sender already used in this room answers the message it made
  // (a resend after a reconnect, to whichever instance), and nobody hears it twice.
  // Everything that can be done before the room's turn is: the checks, the key, the sealing;
  // the room's counter row is locked only from the insert to the commit, so a busy room's
  // sends follow one another quickly.
  async send(actor: AuthUser, p: SendMessagePayload): Promise<{ message: ChatMessageResponse }> {
    const text = plainText(p.text, this.config.chat.maxTextLength);
    const attachmentId = p.attachmentId ?? null;
    if (text === null && attachmentId === null) throw ChatErrors.empty();
    const m = this.dataSource.manager;
    // A resend is answered even when the sender is over their limit.
    const known = await this.repeated(actor, p.roomId, p.clientId, text, attachmentId);
    if (known) return { message: known };
    const standing = await this.access.standing(actor, p.roomId, m);
    if (standing.room.status !== RoomStatus.Open) throw ChatErrors.closed();
    await this.rate.admit(actor.id, p.roomId);

    const chat = await this.repo.findRoom(p.roomId, m);
    if (!chat) await this.repo.ensureRoom(p.roomId, m);
    const subjectId = await this.subjectFor(
      actor,
      chat ?? { roomId: p.roomId, subjectId: null },
      m,
    );
    const key = await this.writeKey(subjectId);
    const id = randomUUID();
    const attachment = attachmentId
      ? await this.usableAttachment(actor, p.roomId, attachmentId, m)
      : undefined;
    const row = {
      id,
      roomId: p.roomId,
      senderId: actor.id,
      subjectId,
      clientId: p.clientId,
      body: text === null ? null : ChatCipher.sealText(key, id, subjectId, text),
      attachmentId,
    };
    const remember =
      (chat?.subjectId ?? null) === null && subjectId !== actor.id ? subjectId : null;
    const sent = await this.inRoomTurn(
      p.roomId,
      async (tx) => {
        if (attachmentId && !(await this.repo.claimAttachment(attachmentId, id, tx)))
          throw ChatErrors.attachmentUsed();
        const next = await this.repo.insertNext(row, remember, tx);
        // The same clientId won a race a moment ago: undo (the number and the claim).
        if (!next) throw new AlreadySent();
        const entity = Object.assign(new ChatMessageEntity(), {
          ...row,
          seq: next.seq,
          createdAt: next.createdAt,
          erasedAt: null,
        });
        const message = await toMessageResponse(
          entity,
          attachment ? { ...attachment, messageId: id } : undefined,
          () => Promise.resolve(key),
        );
        // Who hears it is decided in its turn: a member removed before it is not told.
        return { message, recipientIds: await this.access.audience(standing, tx) };
      },
      (e) => this.events.message.next({ roomId: p.roomId, ...e }),
    ).catch(async (err: unknown) => {
      if (!(err instanceof AlreadySent)) throw err;
      const again = await this.repeated(actor, p.roomId, p.clientId, text, attachmentId);
      if (!again) throw err;
      return { message: again };
    });
    return { message: sent.message };
  }

  // One transaction in the room's turn (ChatRepository.beginTurn), then `announce` after the
  // commit and before the turn passes: a room's messages are emitted in their order on every
  // instance (docs/chat.md, "Delivery"). The turn is a short one: the checks, the key and the
  // sealing happened before it.
  private async inRoomTurn<T>(
    roomId: string,
    work: (tx: EntityManager) => Promise<T>,
    announce: (result: T) => void,
  ): Promise<T> {
    return this.turns.run(roomId, () => this.turn(roomId, work, announce));
  }

  private async turn<T>(
    roomId: string,
    work: (tx: EntityManager) => Promise<T>,
    announce: (result: T) => void,
  ): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await this.repo.beginTurn(roomId, runner.manager);
      await runner.startTransaction();
      let result: T;
      try {
        result = await work(runner.manager);
        await runner.commitTransaction();
      } catch (err) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      }
      announce(result);
      return result;
    } finally {
      // A broken connection has lost its locks with its session.
      await this.repo.endTurn(runner.manager).catch(() => undefined);
      await runner.release();
    }
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

  // The subject's data key, made on first use in a short transaction of its own (the key row
  // is locked while it is made, never while a message waits for its room's turn).
  private async writeKey(subjectId: string): Promise<Buffer> {
    const existing = await this.keys.dataKey(subjectId);
    if (existing) return existing;
    return this.dataSource.transaction((tx) => this.keys.dataKeyForWrite(subjectId, tx));
  }
}

// A resend that raced its original to the insert.
class AlreadySent extends Error {}
