import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  Unique,
} from 'typeorm';
import { RoomEntity } from '../rooms/room.entity';

// A room's chat: the last sequence number handed out (messages are ordered by it), whether
// people held in the waiting room take part, and whose data key seals what clinicians write
// (docs/chat.md, "Encryption"). The row is created with the room's first message or setting.
@Entity({ name: 'chat_rooms' })
export class ChatRoomEntity {
  @PrimaryColumn({ name: 'room_id', type: 'uuid', primaryKeyConstraintName: 'chat_rooms_pkey' })
  roomId!: string;

  // A room's chat goes with the room (a direct call's room is destroyed by retention).
  @ManyToOne(() => RoomEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'room_id', foreignKeyConstraintName: 'chat_rooms_room_id_fkey' })
  room?: RoomEntity;

  @Column({ name: 'last_seq', type: 'bigint', default: 0 })
  lastSeq!: string;

  @Column({ name: 'waiting_may_chat', type: 'boolean', default: false })
  waitingMayChat!: boolean;

  @Column({ name: 'subject_id', type: 'uuid', nullable: true })
  subjectId!: string | null;
}

// One message. `body` is the text sealed under the subject's data key (never plaintext);
// erasure and retention clear it. (room, sender, client id) is unique: a resend is the same
// message.
@Entity({ name: 'chat_messages' })
@Unique('chat_messages_room_seq_key', ['roomId', 'seq'])
@Unique('chat_messages_client_id_key', ['roomId', 'senderId', 'clientId'])
@Index('chat_messages_subject_id_idx', ['subjectId'])
@Index('chat_messages_sender_id_idx', ['senderId'])
@Index('chat_messages_created_at_idx', ['createdAt'])
export class ChatMessageEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'chat_messages_pkey' })
  id!: string;

  @Column({ name: 'room_id', type: 'uuid' })
  roomId!: string;

  // A room's chat goes with the room (a direct call's room is destroyed by retention).
  @ManyToOne(() => RoomEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'room_id', foreignKeyConstraintName: 'chat_messages_room_id_fkey' })
  room?: RoomEntity;

  @Column({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'sender_id', type: 'uuid' })
  senderId!: string;

  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'text', nullable: true })
  body!: string | null;

  @Column({ name: 'attachment_id', type: 'uuid', nullable: true })
  attachmentId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt!: Date | null;
}

// A file shared in a room: its bytes (metadata stripped) and its name, sealed under the
// subject's data key. `messageId` is set when a message carries it (once).
@Entity({ name: 'chat_attachments' })
@Index('chat_attachments_room_id_idx', ['roomId'])
@Index('chat_attachments_subject_id_idx', ['subjectId'])
@Index('chat_attachments_uploader_id_idx', ['uploaderId'])
@Index('chat_attachments_created_at_idx', ['createdAt'])
export class ChatAttachmentEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'chat_attachments_pkey' })
  id!: string;

  @Column({ name: 'room_id', type: 'uuid' })
  roomId!: string;

  // A room's chat goes with the room (a direct call's room is destroyed by retention).
  @ManyToOne(() => RoomEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'room_id', foreignKeyConstraintName: 'chat_attachments_room_id_fkey' })
  room?: RoomEntity;

  @Column({ name: 'uploader_id', type: 'uuid' })
  uploaderId!: string;

  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @Column({ name: 'message_id', type: 'uuid', nullable: true })
  messageId!: string | null;

  @Column({ name: 'content_type', type: 'varchar', length: 32 })
  contentType!: string;

  @Column({ name: 'size_bytes', type: 'integer' })
  sizeBytes!: number;

  @Column({ name: 'name_sealed', type: 'text', nullable: true })
  nameSealed!: string | null;

  @Column({ type: 'bytea', nullable: true })
  content!: Buffer | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt!: Date | null;
}

// How far each member has read: the newest message they marked read.
@Entity({ name: 'chat_reads' })
export class ChatReadEntity {
  @PrimaryColumn({ name: 'room_id', type: 'uuid', primaryKeyConstraintName: 'chat_reads_pkey' })
  roomId!: string;

  // A room's chat goes with the room (a direct call's room is destroyed by retention).
  @ManyToOne(() => RoomEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'room_id', foreignKeyConstraintName: 'chat_reads_room_id_fkey' })
  room?: RoomEntity;

  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'chat_reads_pkey' })
  userId!: string;

  @Column({ name: 'message_id', type: 'uuid' })
  messageId!: string;

  @Column({ type: 'bigint' })
  seq!: string;

  @CreateDateColumn({ name: 'read_at', type: 'timestamptz' })
  readAt!: Date;
}
