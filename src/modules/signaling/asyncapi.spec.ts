import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import { load } from 'js-yaml';
import { CLIENT_EVENTS, RELAY_EVENTS, SERVER_EVENTS } from './signaling-events';
import { SignalingGateway } from './signaling.gateway';

interface AsyncApi {
  asyncapi: string;
  operations: Record<string, { action: 'send' | 'receive'; messages: { $ref: string }[] }>;
  components: { messages: Record<string, { name: string }> };
}

// The gateway's @SubscribeMessage handlers, and the relay events it binds to each socket itself.
function handledEvents(): string[] {
  const proto = SignalingGateway.prototype as unknown as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .filter(
      (k) =>
        typeof proto[k] === 'function' &&
        Reflect.getMetadata(MESSAGE_MAPPING_METADATA, proto[k] as object),
    )
    .map((k) => Reflect.getMetadata(MESSAGE_METADATA, proto[k] as object) as string)
    .concat(RELAY_EVENTS);
}

// The AsyncAPI document is the contract app developers read: it must list exactly what the
// gateway handles and what the shared event map says it emits.
describe('docs/asyncapi.yaml', () => {
  const doc = load(
    readFileSync(join(__dirname, '../../../docs/asyncapi.yaml'), 'utf8'),
  ) as AsyncApi;

  const names = (action: 'send' | 'receive'): string[] =>
    Object.values(doc.operations)
      .filter((op) => op.action === action)
      .flatMap((op) => op.messages.map((m) => m.$ref.split('/').at(-1) ?? ''))
      .map((key) => doc.components.messages[key]?.name ?? `missing:${key}`)
      .sort();

  it('is AsyncAPI 3', () => {
    expect(doc.asyncapi).toMatch(/^3\./);
  });

  it('lists exactly the events the gateway handles', () => {
    expect(names('receive')).toEqual(handledEvents().sort());
    expect(names('receive')).toEqual([...CLIENT_EVENTS].sort());
  });

  it('lists exactly the events the server emits', () => {
    expect(names('send')).toEqual([...SERVER_EVENTS].sort());
  });
});
