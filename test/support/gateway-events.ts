import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import { RELAY_EVENTS } from '../../src/modules/signaling/signaling-events';
import { SignalingGateway } from '../../src/modules/signaling/signaling.gateway';

// The events the signaling gateway handles, sorted: its @SubscribeMessage handlers, and the
// relay events it binds to each socket itself.
export function handledEvents(): string[] {
  const proto = SignalingGateway.prototype as unknown as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .map((name) => proto[name])
    .filter(
      (fn): fn is object =>
        typeof fn === 'function' && Reflect.getMetadata(MESSAGE_MAPPING_METADATA, fn) === true,
    )
    .map((fn) => Reflect.getMetadata(MESSAGE_METADATA, fn) as string)
    .concat(RELAY_EVENTS)
    .sort();
}
