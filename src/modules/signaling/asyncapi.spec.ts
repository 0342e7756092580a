import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { handledEvents } from '../../../test/support/gateway-events';
import { CLIENT_EVENTS, SERVER_EVENTS } from './signaling-events';

interface AsyncApi {
  asyncapi: string;
  operations: Record<string, { action: 'send' | 'receive'; messages: { $ref: string }[] }>;
  components: { messages: Record<string, { name: string }> };
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
    expect(names('receive')).toEqual(handledEvents());
    expect(names('receive')).toEqual([...CLIENT_EVENTS].sort());
  });

  it('lists exactly the events the server emits', () => {
    expect(names('send')).toEqual([...SERVER_EVENTS].sort());
  });
});
