// The consultation chat beside the video (docs/chat.md): history over REST, messages and
// receipts through the SDK's ConsultationSession (sendChat, typing, markRead), files uploaded over REST and sent by id. Every text is put on the
// page with textContent, never as HTML: a message is plain text whatever it contains.
import type { Api } from './api.js';
import { friendlyError } from './errors.js';
import { t } from './i18n.js';
import type { ChatMessage, ConsultationSession } from '../../packages/client/src/index.js';
import { byTestId, errorMessage, log, notify } from './view.js';

export class ChatPanel {
  private roomId: string | undefined;
  private readonly seen = new Map<string, ChatMessage>();
  private typingTimer: number | undefined;
  private lastTypingSent = 0;

  constructor(
    private readonly api: Api,
    private readonly session: () => ConsultationSession | undefined,
    private readonly myId: () => string | undefined,
    // The sender's name for messages from others (never their id).
    private readonly nameOf: (userId: string) => string,
  ) {}

  async open(roomId: string): Promise<void> {
    if (this.roomId === roomId) return;
    this.roomId = roomId;
    this.seen.clear();
    byTestId('chat-messages').replaceChildren();
    byTestId('chat-panel').hidden = false;
    try {
      const page = await this.api.messages(roomId);
      for (const message of [...page.items].reverse()) this.show(message);
      const reads = await this.api.chatReads(roomId);
      for (const r of reads) this.onRead({ roomId, userId: r.userId, messageId: r.messageId });
      this.markRead();
    } catch (error) {
      log(`chat history: ${errorMessage(error)}`);
    }
  }

  close(): void {
    this.roomId = undefined;
    byTestId('chat-panel').hidden = true;
  }

  onMessage(message: ChatMessage): void {
    if (message.roomId !== this.roomId) return;
    this.show(message);
    if (message.senderId !== this.myId()) this.markRead();
  }

  onTyping(p: { roomId: string; userId: string }): void {
    if (p.roomId !== this.roomId) return;
    const label = byTestId('chat-typing');
    label.textContent = t('chat.typing');
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => (label.textContent = ''), 3000);
  }

  // Someone else read up to a message: my messages up to it show as read.
  onRead(p: { roomId: string; userId: string; messageId: string }): void {
    if (p.roomId !== this.roomId || p.userId === this.myId()) return;
    const upTo = this.seen.get(p.messageId)?.seq;
    if (upTo === undefined) return;
    for (const item of byTestId('chat-messages').querySelectorAll<HTMLElement>('li')) {
      if (item.dataset.mine === 'true' && Number(item.dataset.seq) <= upTo) {
        item.dataset.read = 'true';
        const receipt = item.querySelector('[data-testid="chat-receipt"]');
        if (receipt) receipt.textContent = `✓✓ ${t('chat.read')}`;
      }
    }
  }

  async sendText(text: string): Promise<void> {
    const roomId = this.roomId;
    const session = this.session();
    if (!roomId || !session || text.trim() === '') return;
    this.show(await session.sendChat({ text }));
  }

  async sendFile(file: File): Promise<void> {
    const roomId = this.roomId;
    const session = this.session();
    if (!roomId || !session) return;
    const attachment = await this.api.uploadAttachment(roomId, file);
    this.show(await session.sendChat({ attachmentId: attachment.id }));
  }

  typing(): void {
    const roomId = this.roomId;
    const now = Date.now();
    if (!roomId || now - this.lastTypingSent < 2000) return;
    this.lastTypingSent = now;
    void this.session()
      ?.typing()
      .catch(() => undefined);
  }

  // Tells the others how far I have read: the newest message on the page.
  private markRead(): void {
    const roomId = this.roomId;
    const newest = [...this.seen.values()].sort((a, b) => b.seq - a.seq)[0];
    if (!roomId || !newest) return;
    void this.session()
      ?.markRead(newest.id)
      .catch(() => undefined);
  }

  // One list item per message, in seq order; a message seen twice (the ack and the event)
  // is shown once.
  private show(message: ChatMessage): void {
    if (this.seen.has(message.id)) return;
    this.seen.set(message.id, message);
    const item = document.createElement('li');
    item.dataset.testid = 'chat-message';
    item.dataset.seq = String(message.seq);
    item.dataset.mine = String(message.senderId === this.myId());
    if (message.senderId !== this.myId()) {
      const sender = document.createElement('span');
      sender.className = 'sender';
      sender.textContent = this.nameOf(message.senderId);
      item.append(sender);
    }
    const text = document.createElement('span');
    text.dataset.testid = 'chat-text';
    text.textContent = message.erased ? t('chat.erased') : (message.text ?? '');
    item.append(text);
    if (message.attachment) {
      const { id, name } = message.attachment;
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.testid = 'chat-attachment';
      button.textContent = `📎 ${name}`;
      button.setAttribute('aria-label', t('chat.download', { name }));
      button.addEventListener('click', () => void this.download(id, name));
      item.append(' ', button);
    }
    if (message.senderId === this.myId()) {
      const receipt = document.createElement('span');
      receipt.dataset.testid = 'chat-receipt';
      receipt.className = 'receipt';
      receipt.textContent = `✓ ${t('chat.sent')}`;
      item.append(' ', receipt);
    }
    const list = byTestId('chat-messages');
    const after = [...list.children].find(
      (li) => Number((li as HTMLElement).dataset.seq) > message.seq,
    );
    list.insertBefore(item, after ?? null);
  }

  // A download needs the bearer token, so it goes through fetch and a blob URL.
  private async download(id: string, name: string): Promise<void> {
    try {
      const blob = await this.api.downloadAttachment(id);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      log(`downloaded ${name} (${blob.size} bytes)`);
    } catch (error) {
      log(`download failed: ${errorMessage(error)}`);
      notify(friendlyError(error));
    }
  }
}
