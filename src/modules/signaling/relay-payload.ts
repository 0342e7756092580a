import {
  AcceptCallPayload,
  CALLEES_HARD_LIMIT,
  CallIdPayload,
  InitiateCallPayload,
} from '../calls/dto/call.dto';
import { MAX_TEXT_PAYLOAD, SendMessagePayload } from '../chat/dto/chat.dto';
import {
  IceCandidatePayload,
  MAX_CANDIDATE_LENGTH,
  MAX_SDP_LENGTH,
  SdpPayload,
} from './dto/signaling.dto';

// The relay events (offer, answer, candidate) are nearly all of signaling's traffic, and
// class-validator spends about 15 µs judging each one: at saturation, validation was a third of
// the relay's CPU (docs/performance.md). This is a quick first look for their common shape: it
// accepts a payload only when the DTO certainly accepts it too, and gives up (null) on anything
// else, which then goes through the DTO machinery as before. So the DTOs stay the judges of
// what is refused and how the error reads; this check may only be narrower than they are
// (relay-payload.spec.ts holds it to that on valid and hostile payloads). `chat:send` has one
// too: at the chat's saturation class-validator was about a tenth of the instance's CPU
// (docs/chat.md, "Performance"). So do the call events of a call's setup and end
// (`call:initiate`, `call:accept`, `call:reject`, `call:cancel`, `call:end`): the DTO machinery
// was a few per cent of the server's CPU per call (docs/performance.md, scenario 5).

// validator.js's UUID v4 (class-validator's @IsUUID('4')), in its canonical lower case only:
// other spellings go through the DTO, which canonicalizes them (common/validation/ids.ts).
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const SDP_KEYS = new Set(['roomId', 'to', 'from', 'sdp']);
const ICE_KEYS = new Set(['roomId', 'to', 'from', 'candidate']);
const CANDIDATE_KEYS = new Set(['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment']);
const CHAT_SEND_KEYS = new Set(['roomId', 'text', 'attachmentId', 'clientId']);
const CALL_ID_KEYS = new Set(['callId']);
const ACCEPT_KEYS = new Set(['callId', 'sdp']);
const INITIATE_KEYS = new Set(['calleeIds', 'type', 'sdp']);
const CALL_TYPES = new Set(['audio', 'video']);
// SendMessagePayload's clientId rule.
const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

// A JSON-escaped character takes at most 6 bytes (`\u0001`, or a lone surrogate). Payloads whose
// strings could not reach the event size limit even so skip measuring their serialisation.
const WORST_BYTES_PER_CHAR = 6;
const ENVELOPE_BYTES = 256;

type Quick<D> = (body: Record<string, unknown>, maxBytes: number) => D | null;

const QUICK: ReadonlyMap<unknown, Quick<object>> = new Map<unknown, Quick<object>>([
  [SdpPayload, quickSdp],
  [IceCandidatePayload, quickCandidate],
  [SendMessagePayload, quickChatSend],
  [CallIdPayload, quickCallId],
  [AcceptCallPayload, quickAccept],
  [InitiateCallPayload, quickInitiate],
]);

// The payload as the DTO `dto` would accept it, or null when only the DTO can tell.
export function quickRelayPayload<D extends object>(
  dto: unknown,
  body: unknown,
  maxBytes: number,
): D | null {
  const quick = QUICK.get(dto);
  if (!quick || !isPlainObject(body)) return null;
  return quick(body, maxBytes) as D | null;
}

function quickSdp(body: Record<string, unknown>, maxBytes: number): SdpPayload | null {
  if (!onlyKeys(body, SDP_KEYS)) return null;
  const { roomId, to, from, sdp } = body;
  if (!isUuid(roomId) || !isUuid(to) || !optionalText(from, 64)) return null;
  if (!text(sdp, MAX_SDP_LENGTH) || !hasCountedFirstChar(sdp)) return null;
  if (!fits(body, sdp.length + lengthOf(from), maxBytes)) return null;
  return body as unknown as SdpPayload;
}

function quickCandidate(
  body: Record<string, unknown>,
  maxBytes: number,
): IceCandidatePayload | null {
  if (!onlyKeys(body, ICE_KEYS)) return null;
  const { roomId, to, from, candidate: init } = body;
  if (!isUuid(roomId) || !isUuid(to) || !optionalText(from, 64)) return null;
  if (!isPlainObject(init) || !onlyKeys(init, CANDIDATE_KEYS)) return null;
  const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = init;
  if (!text(candidate, MAX_CANDIDATE_LENGTH)) return null;
  if (!optionalText(sdpMid, 64) || !optionalText(usernameFragment, 256)) return null;
  if (!optionalLineIndex(sdpMLineIndex)) return null;
  const chars = candidate.length + lengthOf(from) + lengthOf(sdpMid) + lengthOf(usernameFragment);
  if (!fits(body, chars, maxBytes)) return null;
  return body as unknown as IceCandidatePayload;
}

// A text, a file or both; the text's own rules (length in characters, plain text) are the chat
// module's, after validation, as on the DTO path.
function quickChatSend(body: Record<string, unknown>, maxBytes: number): SendMessagePayload | null {
  if (!onlyKeys(body, CHAT_SEND_KEYS)) return null;
  const { roomId, text: message, attachmentId, clientId } = body;
  if (!isUuid(roomId) || typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return null;
  if (attachmentId !== undefined && !isUuid(attachmentId)) return null;
  if (message !== undefined && !text(message, MAX_TEXT_PAYLOAD)) return null;
  if (!fits(body, lengthOf(message), maxBytes)) return null;
  return body as unknown as SendMessagePayload;
}

function quickCallId(body: Record<string, unknown>): CallIdPayload | null {
  if (!onlyKeys(body, CALL_ID_KEYS) || !isUuid(body.callId)) return null;
  return body as unknown as CallIdPayload;
}

function quickAccept(body: Record<string, unknown>, maxBytes: number): AcceptCallPayload | null {
  if (!onlyKeys(body, ACCEPT_KEYS) || !isUuid(body.callId)) return null;
  const { sdp } = body;
  if (sdp !== undefined && !sdpText(sdp)) return null;
  if (!fits(body, lengthOf(sdp), maxBytes)) return null;
  return body as unknown as AcceptCallPayload;
}

// Callees as canonical ids, none twice, within the hard bound (the configured maximum is the
// service's check, as on the DTO path).
function quickInitiate(
  body: Record<string, unknown>,
  maxBytes: number,
): InitiateCallPayload | null {
  if (!onlyKeys(body, INITIATE_KEYS)) return null;
  const { calleeIds, type, sdp } = body;
  if (typeof type !== 'string' || !CALL_TYPES.has(type)) return null;
  if (!Array.isArray(calleeIds) || Object.getPrototypeOf(calleeIds) !== Array.prototype)
    return null;
  if (calleeIds.length < 1 || calleeIds.length > CALLEES_HARD_LIMIT) return null;
  const seen = new Set<unknown>();
  for (const id of calleeIds as unknown[]) {
    if (!isUuid(id) || seen.has(id)) return null;
    seen.add(id);
  }
  if (sdp !== undefined && !sdpText(sdp)) return null;
  if (!fits(body, lengthOf(sdp) + calleeIds.length * 40, maxBytes)) return null;
  return body as unknown as InitiateCallPayload;
}

// `@IsString() @MinLength(1) @MaxLength(MAX_SDP_LENGTH)`, narrowed as the relay's SDP is.
function sdpText(value: unknown): value is string {
  return text(value, MAX_SDP_LENGTH) && hasCountedFirstChar(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  // `for…in` skips non-enumerable and symbol keys; a parsed JSON object has neither, anything
  // else is left to the DTO.
  return Object.getOwnPropertyNames(value).length === Object.keys(value).length;
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_V4.test(value);
}

// A string of at most `max` UTF-16 units without NUL. class-validator counts length with
// surrogate pairs and variation selectors as one, so its count is never larger than this one.
function text(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max && !value.includes('\u0000');
}

function optionalText(value: unknown, max: number): boolean {
  return value === undefined || value === null || text(value, max);
}

// `@MinLength(1)`: a first unit that is neither a variation selector nor the start of a
// surrogate pair counts as one character on its own.
function hasCountedFirstChar(value: string): boolean {
  const first = value.charCodeAt(0);
  return (
    value.length > 0 &&
    !(first >= 0xd800 && first <= 0xdbff) &&
    first !== 0xfe0e &&
    first !== 0xfe0f
  );
}

function optionalLineIndex(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255)
  );
}

function lengthOf(value: unknown): number {
  return typeof value === 'string' ? value.length : 0;
}

// The event size limit, measured only when the strings could exceed it.
function fits(body: object, chars: number, maxBytes: number): boolean {
  if (chars * WORST_BYTES_PER_CHAR + ENVELOPE_BYTES <= maxBytes) return true;
  return Buffer.byteLength(JSON.stringify(body)) <= maxBytes;
}
