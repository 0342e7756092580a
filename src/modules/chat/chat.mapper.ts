import type { ChatAttachmentEntity, ChatMessageEntity } from './chat.entity';
import { ChatCipher } from './chat-cipher';
import type { ChatAttachmentSummary, ChatMessageResponse } from './dto/chat.dto';

// The data keys met while mapping a page, by subject id (null: none, or shredded).
export type KeyLookup = (subjectId: string) => Promise<Buffer | null>;

export function attachmentSummary(
  a: ChatAttachmentEntity,
  key: Buffer | null,
): ChatAttachmentSummary | null {
  if (!key || a.erasedAt || a.nameSealed === null) return null;
  return {
    id: a.id,
    name: ChatCipher.openName(key, a.id, a.subjectId, a.nameSealed),
    contentType: a.contentType,
    sizeBytes: a.sizeBytes,
  };
}

// A message as clients see it: opened with its subject's key, or marked erased when the key
// or the ciphertext is gone.
export async function toMessageResponse(
  msg: ChatMessageEntity,
  attachment: ChatAttachmentEntity | undefined,
  keyOf: KeyLookup,
): Promise<ChatMessageResponse> {
  const key = msg.erasedAt ? null : await keyOf(msg.subjectId);
  const text =
    key && msg.body !== null ? ChatCipher.openText(key, msg.id, msg.subjectId, msg.body) : null;
  const fileKey = attachment ? await keyOf(attachment.subjectId) : null;
  const file = attachment ? attachmentSummary(attachment, fileKey) : null;
  const erased =
    msg.erasedAt !== null ||
    (msg.body !== null && text === null) ||
    (msg.attachmentId !== null && file === null);
  return {
    id: msg.id,
    roomId: msg.roomId,
    seq: Number(msg.seq),
    senderId: msg.senderId,
    clientId: msg.clientId,
    text,
    attachment: file,
    erased,
    createdAt: msg.createdAt.toISOString(),
  };
}

// Per-call memo of data keys, so a page with fifty messages of one patient unwraps once.
export function memoKeys(load: (subjectId: string) => Promise<Buffer | null>): KeyLookup {
  const seen = new Map<string, Promise<Buffer | null>>();
  return (subjectId) => {
    let key = seen.get(subjectId);
    if (!key) {
      key = load(subjectId);
      seen.set(subjectId, key);
    }
    return key;
  };
}

export function encodeSeqCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString('base64url');
}

// Null when the cursor is not one of ours.
export function decodeSeqCursor(cursor: string): string | null {
  const match = /^seq:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? match[1] : null;
}
