import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import type { LockStatement } from '../../infra/database/behind-lock';
import { affectedRows } from '../../common/personal-data/personal-data.contributor';
import {
  ChatAttachmentEntity,
  ChatMessageEntity,
  ChatReadEntity,
  ChatRoomEntity,
} from './chat.entity';

export interface MessagePage {
  roomId: string;
  // Messages older than this sequence number; the newest when absent.
  beforeSeq?: string;
  limit: number;
}

// The only code that touches chat_rooms, chat_messages, chat_attachments and chat_reads.
@Injectable()
export class ChatRepository {
  constructor(
    @InjectRepository(ChatMessageEntity)
    private readonly messages: Repository<ChatMessageEntity>,
    @InjectRepository(ChatAttachmentEntity)
    private readonly attachments: Repository<ChatAttachmentEntity>,
    @InjectRepository(ChatRoomEntity)
    private readonly rooms: Repository<ChatRoomEntity>,
  ) {}

  // A room's turn to deliver, across instances: a session-level advisory lock on the caller's
  // own connection, held from before the insert until after the message has been handed to
  // the Socket.IO adapter, so that the room's messages leave in the order of their numbers.
  // `endTurn` gives it back (all of this session's advisory locks: the connection is the
  // caller's alone while it holds it).
  // (The statement only: the caller sends it with the turn's first read behind it.)
  turnLock(roomId: string): LockStatement {
    return {
      text: `SELECT pg_advisory_lock(hashtextextended($1, 0))`,
      values: [`hekim:chat-room:${roomId}`],
    };
  }

  async endTurn(m: EntityManager): Promise<void> {
    await m.query(`SELECT pg_advisory_unlock_all()`);
  }

  // Creates the room's chat row if it is missing (no lock is kept).
  async ensureRoom(roomId: string, m?: EntityManager): Promise<void> {
    await (m ?? this.rooms.manager).query(
      `INSERT INTO chat_rooms (room_id) VALUES ($1) ON CONFLICT (room_id) DO NOTHING`,
      [roomId],
    );
  }

  // The room's next messages in one statement (group commit, docs/chat.md): the room's counter
  // is raised by their number and they are inserted with consecutive numbers, in the order
  // given. A message whose (room, sender, clientId) exists already is left out and takes no
  // number; the caller holds the room's turn, so nothing else numbers the room meanwhile.
  // Answers the inserted ones, by id. The room's chat row must exist.
  async insertBatch(
    roomId: string,
    messages: readonly Omit<
      ChatMessageEntity,
      'seq' | 'createdAt' | 'erasedAt' | 'room' | 'roomId'
    >[],
    rememberSubject: string | null,
    m: EntityManager,
  ): Promise<Map<string, { seq: string; createdAt: Date }>> {
    const column = <K extends keyof (typeof messages)[number]>(k: K) => messages.map((x) => x[k]);
    const rows: { id: string; seq: string; created_at: Date }[] = await m.query(
      `WITH input AS (
         SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::varchar[], $6::text[], $7::uuid[])
           WITH ORDINALITY AS t(id, sender_id, subject_id, client_id, body, attachment_id, ord)),
       fresh AS (
         SELECT i.*, row_number() OVER (ORDER BY i.ord) AS n FROM input i
          WHERE NOT EXISTS (SELECT 1 FROM chat_messages c
                             WHERE c.room_id = $1 AND c.sender_id = i.sender_id AND c.client_id = i.client_id)),
       next AS (
         UPDATE chat_rooms SET last_seq = last_seq + (SELECT count(*) FROM fresh),
                subject_id = COALESCE(subject_id, $8)
          WHERE room_id = $1
          RETURNING last_seq)
       INSERT INTO chat_messages (id, room_id, seq, sender_id, subject_id, client_id, body, attachment_id)
       SELECT f.id, $1, next.last_seq - (SELECT count(*) FROM fresh) + f.n,
              f.sender_id, f.subject_id, f.client_id, f.body, f.attachment_id
         FROM fresh f, next
        ORDER BY f.n
       ON CONFLICT (room_id, sender_id, client_id) DO NOTHING
       RETURNING id, seq, created_at`,
      [
        roomId,
        column('id'),
        column('senderId'),
        column('subjectId'),
        column('clientId'),
        column('body'),
        column('attachmentId'),
        rememberSubject,
      ],
    );
    return new Map(rows.map((r) => [r.id, { seq: String(r.seq), createdAt: r.created_at }]));
  }

  // The room's chat row, created if absent and locked until the transaction ends.
  async lockRoom(roomId: string, m: EntityManager): Promise<ChatRoomEntity> {
    const rows: { last_seq: string; waiting_may_chat: boolean; subject_id: string | null }[] =
      await m.query(
        `INSERT INTO chat_rooms (room_id) VALUES ($1)
         ON CONFLICT (room_id) DO UPDATE SET room_id = EXCLUDED.room_id
         RETURNING last_seq, waiting_may_chat, subject_id`,
        [roomId],
      );
    const row = rows[0];
    return Object.assign(new ChatRoomEntity(), {
      roomId,
      lastSeq: String(row.last_seq),
      waitingMayChat: row.waiting_may_chat,
      subjectId: row.subject_id,
    });
  }

  findRoom(roomId: string, m?: EntityManager): Promise<ChatRoomEntity | null> {
    return (m?.getRepository(ChatRoomEntity) ?? this.rooms).findOne({ where: { roomId } });
  }

  async setRoom(
    roomId: string,
    changes: Partial<Pick<ChatRoomEntity, 'lastSeq' | 'waitingMayChat' | 'subjectId'>>,
    m: EntityManager,
  ): Promise<void> {
    await m.getRepository(ChatRoomEntity).update({ roomId }, changes);
  }

  findByClientId(
    roomId: string,
    senderId: string,
    clientId: string,
    m: EntityManager,
  ): Promise<ChatMessageEntity | null> {
    return m.getRepository(ChatMessageEntity).findOne({ where: { roomId, senderId, clientId } });
  }

  async insertMessage(message: ChatMessageEntity, m: EntityManager): Promise<ChatMessageEntity> {
    return m.getRepository(ChatMessageEntity).save(message);
  }

  findMessage(id: string, m?: EntityManager): Promise<ChatMessageEntity | null> {
    return (m?.getRepository(ChatMessageEntity) ?? this.messages).findOne({ where: { id } });
  }

  // Newest first.
  page(filter: MessagePage, m?: EntityManager): Promise<ChatMessageEntity[]> {
    const qb = (m?.getRepository(ChatMessageEntity) ?? this.messages)
      .createQueryBuilder('msg')
      .where('msg.room_id = :roomId', { roomId: filter.roomId })
      .orderBy('msg.seq', 'DESC')
      .limit(filter.limit);
    if (filter.beforeSeq !== undefined) qb.andWhere('msg.seq < :seq', { seq: filter.beforeSeq });
    return qb.getMany();
  }

  insertAttachment(a: ChatAttachmentEntity, m?: EntityManager): Promise<ChatAttachmentEntity> {
    return (m?.getRepository(ChatAttachmentEntity) ?? this.attachments).save(a);
  }

  findAttachment(id: string, m?: EntityManager): Promise<ChatAttachmentEntity | null> {
    return (m?.getRepository(ChatAttachmentEntity) ?? this.attachments).findOne({
      where: { id },
    });
  }

  // Without the bytes, for listing messages.
  async attachmentsByIds(ids: string[], m?: EntityManager): Promise<ChatAttachmentEntity[]> {
    if (ids.length === 0) return [];
    return (m?.getRepository(ChatAttachmentEntity) ?? this.attachments)
      .createQueryBuilder('a')
      .select([
        'a.id',
        'a.roomId',
        'a.uploaderId',
        'a.subjectId',
        'a.messageId',
        'a.contentType',
        'a.sizeBytes',
        'a.nameSealed',
        'a.createdAt',
        'a.erasedAt',
      ])
      .where('a.id IN (:...ids)', { ids })
      .getMany();
  }

  // Claims an unsent attachment for a message; false when it was already sent.
  async claimAttachment(id: string, messageId: string, m: EntityManager): Promise<boolean> {
    const n = await affectedRows(
      m,
      `UPDATE chat_attachments SET message_id = $2 WHERE id = $1 AND message_id IS NULL`,
      [id, messageId],
    );
    return n === 1;
  }

  async saveRead(read: ChatReadEntity, m: EntityManager): Promise<void> {
    // Only ever forward: an older receipt arriving late changes nothing.
    await m.query(
      `INSERT INTO chat_reads (room_id, user_id, message_id, seq, read_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (room_id, user_id) DO UPDATE
         SET message_id = EXCLUDED.message_id, seq = EXCLUDED.seq, read_at = EXCLUDED.read_at
         WHERE chat_reads.seq < EXCLUDED.seq`,
      [read.roomId, read.userId, read.messageId, read.seq],
    );
  }

  readsOf(roomId: string, m?: EntityManager): Promise<ChatReadEntity[]> {
    return (
      m?.getRepository(ChatReadEntity) ?? this.messages.manager.getRepository(ChatReadEntity)
    ).find({ where: { roomId } });
  }

  // For the data export: what the person sent or what is sealed under their key.
  messagesAbout(userId: string, m: EntityManager): Promise<ChatMessageEntity[]> {
    return m
      .getRepository(ChatMessageEntity)
      .createQueryBuilder('msg')
      .where('msg.sender_id = :userId OR msg.subject_id = :userId', { userId })
      .orderBy('msg.room_id')
      .addOrderBy('msg.seq')
      .getMany();
  }

  attachmentsAbout(userId: string, m: EntityManager): Promise<ChatAttachmentEntity[]> {
    return m
      .getRepository(ChatAttachmentEntity)
      .createQueryBuilder('a')
      .where('a.uploader_id = :userId OR a.subject_id = :userId', { userId })
      .orderBy('a.created_at')
      .getMany();
  }

  readsBy(userId: string, m: EntityManager): Promise<ChatReadEntity[]> {
    return m.getRepository(ChatReadEntity).find({ where: { userId } });
  }

  // Erasure: the ciphertexts sealed under the person's key, or written by them, go; the rows
  // stay as tombstones so that a room's sequence keeps its shape.
  async eraseFor(userId: string, m: EntityManager): Promise<number> {
    const messages = await affectedRows(
      m,
      `UPDATE chat_messages SET body = NULL, erased_at = now()
        WHERE (subject_id = $1 OR sender_id = $1) AND erased_at IS NULL`,
      [userId],
    );
    const files = await affectedRows(
      m,
      `UPDATE chat_attachments SET content = NULL, name_sealed = NULL, erased_at = now()
        WHERE (subject_id = $1 OR uploader_id = $1) AND erased_at IS NULL`,
      [userId],
    );
    const reads = await affectedRows(m, `DELETE FROM chat_reads WHERE user_id = $1`, [userId]);
    return messages + files + reads;
  }

  // Retention: messages and files older than `before` are destroyed.
  async destroyBefore(
    before: Date,
    m: EntityManager,
  ): Promise<{ messages: number; attachments: number }> {
    const messages = await affectedRows(m, `DELETE FROM chat_messages WHERE created_at < $1`, [
      before,
    ]);
    const attachments = await affectedRows(
      m,
      `DELETE FROM chat_attachments WHERE created_at < $1`,
      [before],
    );
    return { messages, attachments };
  }
}
