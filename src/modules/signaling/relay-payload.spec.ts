import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { Type } from '@nestjs/common';
import { createValidationPipe } from '../../common/errors/validation';
import {
  AcceptCallPayload,
  CALLEES_HARD_LIMIT,
  CallIdPayload,
  InitiateCallPayload,
} from '../calls/dto/call.dto';
import { SendMessagePayload } from '../chat/dto/chat.dto';
import {
  IceCandidatePayload,
  MAX_CANDIDATE_LENGTH,
  MAX_SDP_LENGTH,
  RoomPayload,
  SdpPayload,
} from './dto/signaling.dto';
import { MAX_EVENT_BYTES, validateEventPayload } from './event-payload';
import { quickRelayPayload } from './relay-payload';

const pipe = createValidationPipe();
const roomId = randomUUID();
const to = randomUUID();

const sdpOf = (size: number): string => `v=0\r\n${'a=x\r\n'.repeat(Math.ceil(size / 5))}`;
const offer = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  roomId,
  to,
  sdp: sdpOf(2048),
  ...extra,
});
const candidate = (init: Record<string, unknown> = {}): Record<string, unknown> => ({
  roomId,
  to,
  candidate: {
    candidate: 'candidate:1 1 udp 2122260223 192.0.2.7 54321 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: 'abcd',
    ...init,
  },
});

const chatSend = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  roomId,
  text: 'Parasetamol 500 mg, günde 3 kez',
  clientId: randomUUID(),
  ...extra,
});

const callId = randomUUID();
const callIdOnly = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  callId,
  ...extra,
});
const accept = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  callId,
  sdp: sdpOf(2048),
  ...extra,
});
const initiate = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  calleeIds: [to, roomId],
  type: 'video',
  sdp: sdpOf(2048),
  ...extra,
});

// What the DTO machinery says: the accepted payload, or null when it refuses it.
async function judged(dto: Type<unknown>, body: unknown) {
  // Bypass the quick look: straight to the pipe, after the same envelope checks.
  if (Buffer.byteLength(JSON.stringify(body) ?? '') > MAX_EVENT_BYTES) return null;
  return (pipe.transform(body, { type: 'body', metatype: dto }) as Promise<object>).then(
    (v) => v,
    () => null,
  );
}

// A small seeded generator, so that a failure replays.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const odd: unknown[] = [
  undefined,
  null,
  '',
  'x',
  '\u0000',
  'a\u0000b',
  '\ufe0f',
  '\ufe0fv=0',
  '\ud83d\ude00',
  '\ud83d',
  '\udc00abc',
  -0,
  0,
  1.5,
  255,
  256,
  -1,
  Number.NaN,
  '0',
  true,
  [],
  ['x'],
  {},
  { toString: 'x' },
  randomUUID(),
  randomUUID().toUpperCase(),
  'audio',
  [randomUUID()],
  [randomUUID(), randomUUID().toUpperCase()],
  Array.from({ length: CALLEES_HARD_LIMIT }, () => randomUUID()),
  '00000000-0000-1000-8000-000000000000',
  'é'.repeat(64),
  'é'.repeat(65),
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(256),
  'x'.repeat(257),
  'x'.repeat(MAX_CANDIDATE_LENGTH),
  'x'.repeat(MAX_CANDIDATE_LENGTH + 1),
  'x'.repeat(MAX_SDP_LENGTH),
  'x'.repeat(MAX_SDP_LENGTH + 1),
  '\u0001'.repeat(MAX_SDP_LENGTH),
  '😀'.repeat(MAX_SDP_LENGTH / 2),
];

interface Mutation {
  nested: boolean;
  key: string;
  // `undefined` deletes the key.
  value?: unknown;
  remove?: true;
}

// A parsed copy of `base` with the mutations applied, as Socket.IO hands payloads over
// (structuredClone would make objects of another realm under jest).
function mutated(base: Record<string, unknown>, mutations: Mutation[]): Record<string, unknown> {
  const out = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const m of mutations) {
    const target = m.nested ? (out.candidate as Record<string, unknown> | undefined) : out;
    if (typeof target !== 'object' || target === null) continue;
    if (m.remove) delete target[m.key];
    else
      Object.defineProperty(target, m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

// Every single change of one key (a known one or a stranger) to one odd value, or its removal.
function singleMutations(base: Record<string, unknown>): Mutation[] {
  const out: Mutation[] = [];
  const levels: [boolean, Record<string, unknown> | undefined][] = [
    [false, base],
    [true, base.candidate as Record<string, unknown> | undefined],
  ];
  for (const [nested, level] of levels) {
    if (!level) continue;
    for (const key of [...Object.keys(level), 'from', 'extra', '__proto__', 'constructor']) {
      out.push({ nested, key, remove: true });
      for (const value of odd) out.push({ nested, key, value });
    }
  }
  return out;
}

describe('quickRelayPayload', () => {
  it('takes the common shapes of offers, answers and candidates without the pipe', () => {
    const shapes: [unknown, Record<string, unknown>][] = [
      [SdpPayload, offer()],
      [SdpPayload, offer({ from: 'someone' })],
      [SdpPayload, offer({ sdp: sdpOf(8 * 1024) })],
      [SdpPayload, offer({ sdp: `v=0 ${'x'.repeat(MAX_SDP_LENGTH - 8)}` })],
      [IceCandidatePayload, candidate()],
      [IceCandidatePayload, candidate({ candidate: '' })],
      [IceCandidatePayload, candidate({ sdpMid: null, sdpMLineIndex: null })],
      [IceCandidatePayload, { roomId, to, candidate: { candidate: 'candidate:2' } }],
      [SendMessagePayload, chatSend()],
      [SendMessagePayload, chatSend({ text: '' })],
      [SendMessagePayload, chatSend({ attachmentId: to })],
      [SendMessagePayload, { roomId, attachmentId: to, clientId: 'c-1_A' }],
      [CallIdPayload, callIdOnly()],
      [AcceptCallPayload, accept()],
      [AcceptCallPayload, { callId }],
      [InitiateCallPayload, initiate()],
      [InitiateCallPayload, { calleeIds: [to], type: 'audio' }],
      [
        InitiateCallPayload,
        initiate({ calleeIds: Array.from({ length: CALLEES_HARD_LIMIT }, () => randomUUID()) }),
      ],
    ];
    for (const [dto, body] of shapes)
      expect(quickRelayPayload(dto, body, MAX_EVENT_BYTES)).toBe(body);
  });

  it('leaves every other event to the DTO machinery', () => {
    expect(quickRelayPayload(RoomPayload, { roomId }, MAX_EVENT_BYTES)).toBeNull();
  });

  it('leaves to the DTO what it cannot be sure of', () => {
    const unsure: [unknown, unknown][] = [
      [SdpPayload, null],
      [SdpPayload, [offer()]],
      [SdpPayload, Object.assign(Object.create(null) as object, offer())],
      [SdpPayload, offer({ extra: 1 })],
      [SdpPayload, offer({ sdp: '' })],
      [SdpPayload, offer({ sdp: '\ufe0f' })],
      [SdpPayload, offer({ sdp: 'v=0\u0000' })],
      [SdpPayload, offer({ roomId: 'room' })],
      [SdpPayload, offer({ from: 7 })],
      [SdpPayload, offer({ sdp: 'é'.repeat(MAX_SDP_LENGTH) })],
      [IceCandidatePayload, candidate({ sdpMLineIndex: 1.5 })],
      [IceCandidatePayload, candidate({ sdpMLineIndex: 256 })],
      [IceCandidatePayload, candidate({ extra: true })],
      [IceCandidatePayload, { roomId, to, candidate: 'candidate:1' }],
      [IceCandidatePayload, { roomId, to }],
      [SendMessagePayload, chatSend({ text: null })],
      [SendMessagePayload, chatSend({ clientId: 'a b' })],
      [SendMessagePayload, chatSend({ clientId: 'x'.repeat(65) })],
      [SendMessagePayload, chatSend({ roomId: roomId.toUpperCase() })],
      [SendMessagePayload, chatSend({ attachmentId: null })],
      [SendMessagePayload, chatSend({ text: 'a\u0000b' })],
      [SendMessagePayload, chatSend({ extra: 1 })],
      [CallIdPayload, callIdOnly({ callId: callId.toUpperCase() })],
      [CallIdPayload, callIdOnly({ sdp: 'v=0' })],
      [CallIdPayload, { callId: '00000000-0000-1000-8000-000000000000' }],
      [AcceptCallPayload, accept({ sdp: null })],
      [AcceptCallPayload, accept({ sdp: '' })],
      [AcceptCallPayload, accept({ sdp: 'x'.repeat(MAX_SDP_LENGTH + 1) })],
      [AcceptCallPayload, accept({ calleeIds: [to] })],
      [InitiateCallPayload, initiate({ calleeIds: [] })],
      [InitiateCallPayload, initiate({ calleeIds: [to, to] })],
      [InitiateCallPayload, initiate({ calleeIds: [to, to.toUpperCase()] })],
      [InitiateCallPayload, initiate({ calleeIds: to })],
      [
        InitiateCallPayload,
        initiate({ calleeIds: Array.from({ length: CALLEES_HARD_LIMIT + 1 }, () => randomUUID()) }),
      ],
      [InitiateCallPayload, initiate({ type: 'screen' })],
      [InitiateCallPayload, initiate({ callId })],
      [InitiateCallPayload, Object.assign(Object.create(null) as object, initiate())],
    ];
    for (const [dto, body] of unsure)
      expect(quickRelayPayload(dto, body, MAX_EVENT_BYTES)).toBeNull();
  });

  // The property the gateway relies on: whatever the quick look accepts, the DTO accepts, with
  // the same values; it may only be narrower.
  it.each([
    // The last column: how many cases at least the quick look takes (a call id alone has few
    // accepted variations: the id itself, or a stranger key removed that was not there).
    ['offers', SdpPayload, offer, 1, 50],
    ['candidates', IceCandidatePayload, candidate, 2, 50],
    ['chat sends', SendMessagePayload, chatSend, 3, 50],
    ['call ids (reject, cancel, end)', CallIdPayload, callIdOnly, 4, 5],
    ['accepts', AcceptCallPayload, accept, 5, 30],
    ['initiations', InitiateCallPayload, initiate, 6, 30],
  ] as const)('never accepts %s that the DTO refuses', async (_name, dto, make, seed, least) => {
    const singles = singleMutations(make());
    const rnd = prng(seed);
    const pick = (): Mutation => singles[Math.floor(rnd() * singles.length)];
    const cases = [
      ...singles.map((m) => [m]),
      ...Array.from({ length: 1000 }, () => [pick(), pick()]),
    ];
    let quickly = 0;
    let refused = 0;
    for (const mutations of cases) {
      const body = mutated(make(), mutations);
      const quick = quickRelayPayload<object>(dto, body, MAX_EVENT_BYTES);
      const piped = await judged(dto, body);
      if (piped === null) refused++;
      if (quick === null) continue;
      quickly++;
      expect({ mutations, accepted: piped !== null }).toEqual({ mutations, accepted: true });
      expect(JSON.parse(JSON.stringify(piped)) as unknown).toEqual(
        JSON.parse(JSON.stringify(quick)) as unknown,
      );
    }
    // The cases reach both sides of the line.
    expect(quickly).toBeGreaterThan(least);
    expect(refused).toBeGreaterThan(300);
  });

  it('answers through validateEventPayload as the pipe would', async () => {
    await expect(validateEventPayload(pipe, SdpPayload, offer())).resolves.toMatchObject({
      roomId,
      to,
    });
    await expect(validateEventPayload(pipe, SdpPayload, offer({ sdp: '' }))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      validateEventPayload(pipe, SdpPayload, offer({ sdp: '\u0001'.repeat(MAX_SDP_LENGTH) })),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});
