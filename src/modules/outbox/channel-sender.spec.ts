import type { PortImplementations } from '../../common/ports/port-implementations';
import { ChannelSender, ChannelSenders } from './channel-sender';
import { OutboxChannel } from './outbox-message.entity';

class FakeSender extends ChannelSender {
  constructor(
    readonly channel: OutboxChannel,
    private readonly ready = true,
  ) {
    super();
  }

  override isReady(): boolean {
    return this.ready;
  }

  send(): Promise<void> {
    return Promise.resolve();
  }
}

const sendersOf = (found: ChannelSender[]) =>
  new ChannelSenders({ of: () => found } as unknown as PortImplementations);

describe('ChannelSenders', () => {
  it('serves the ready implementations of the port, one per channel', () => {
    const mail = new FakeSender(OutboxChannel.Email);
    const senders = sendersOf([mail, new FakeSender(OutboxChannel.Sms, false)]);
    expect(senders.channels()).toEqual([OutboxChannel.Email]);
    expect(senders.get(OutboxChannel.Email)).toBe(mail);
    expect(senders.get(OutboxChannel.Sms)).toBeUndefined();
  });

  it('refuses two ready senders for one channel', () => {
    const senders = sendersOf([
      new FakeSender(OutboxChannel.Push),
      new FakeSender(OutboxChannel.Push),
    ]);
    expect(() => senders.channels()).toThrow('two senders for the push channel');
  });

  it('lets a test double stand in for a channel', () => {
    const double = new FakeSender(OutboxChannel.Email);
    const senders = sendersOf([new FakeSender(OutboxChannel.Email)]);
    senders.standIn(double);
    expect(senders.get(OutboxChannel.Email)).toBe(double);
    expect(senders.channels()).toEqual([OutboxChannel.Email]);
  });
});
