import { open, openBytes, seal, sealBytes } from '../../common/crypto/aead';

// What the chat seals under a person's data key (docs/chat.md, "Encryption"). The associated
// data binds each ciphertext to its row and its subject: copied elsewhere, it does not open.
export const ChatCipher = {
  sealText: (key: Buffer, messageId: string, subjectId: string, text: string): string =>
    seal(key, Buffer.from(text, 'utf8'), `hekim:chat-message:v1:${messageId}:${subjectId}`),
  openText: (key: Buffer, messageId: string, subjectId: string, sealed: string): string =>
    open(key, sealed, `hekim:chat-message:v1:${messageId}:${subjectId}`).toString('utf8'),
  sealName: (key: Buffer, attachmentId: string, subjectId: string, name: string): string =>
    seal(key, Buffer.from(name, 'utf8'), `hekim:chat-file-name:v1:${attachmentId}:${subjectId}`),
  openName: (key: Buffer, attachmentId: string, subjectId: string, sealed: string): string =>
    open(key, sealed, `hekim:chat-file-name:v1:${attachmentId}:${subjectId}`).toString('utf8'),
  sealFile: (key: Buffer, attachmentId: string, subjectId: string, bytes: Buffer): Buffer =>
    sealBytes(key, bytes, `hekim:chat-file:v1:${attachmentId}:${subjectId}`),
  openFile: (key: Buffer, attachmentId: string, subjectId: string, sealed: Buffer): Buffer =>
    openBytes(key, sealed, `hekim:chat-file:v1:${attachmentId}:${subjectId}`),
};
