import type { PipeTransform, Type } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { valueDepthExceeds } from '../../common/http/json-depth';
import { MAX_SDP_LENGTH } from './dto/signaling.dto';
import { quickRelayPayload } from './relay-payload';

// Anything larger than the biggest valid SDP plus its envelope is refused before validation.
export const MAX_EVENT_BYTES = MAX_SDP_LENGTH + 2048;

// Every signaling event payload goes through here before its handler runs: an object, not
// nested too deeply, not too large, and valid for the event's DTO (the same pipe as REST).
// The relay events' common shape is recognised first without the pipe (see relay-payload.ts).
// Throws an AppException for anything else; the gateway turns it into an error ack.
export async function validateEventPayload<D extends object>(
  pipe: PipeTransform,
  dto: Type<D>,
  body: unknown,
): Promise<D> {
  const quick = quickRelayPayload<D>(dto, body, MAX_EVENT_BYTES);
  if (quick) return quick;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw AppException.validation([{ field: 'payload', messages: ['must be an object'] }]);
  if (valueDepthExceeds(body))
    throw AppException.validation([{ field: 'payload', messages: ['is nested too deeply'] }]);
  if (Buffer.byteLength(JSON.stringify(body)) > MAX_EVENT_BYTES)
    throw new AppException(ErrorCode.PayloadTooLarge, 'The message is too large.');
  return (await pipe.transform(body, { type: 'body', metatype: dto })) as D;
}

// What a listener of a client event receives, read as Nest's Socket.IO adapter reads it: the
// payload, and the ack when the last argument is a function. Shared by the gateway's own relay
// listeners and the adapter's dispatch of every other event, so both read arguments alike.
export function eventArgs(args: unknown[]): { data: unknown; ack?: unknown } {
  const last = args.at(-1);
  if (typeof last !== 'function') return { data: args.length === 1 ? args[0] : args };
  const rest = args.slice(0, -1);
  return { data: rest.length === 1 ? rest[0] : rest.length === 0 ? undefined : rest, ack: last };
}
