import type { CallEntity } from './call.entity';
import { toCallResponse, toQualityResponse, toSnapshot } from './call.mapper';

const at = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 10, 0, s));

function call(overrides: Partial<CallEntity> = {}): CallEntity {
  return {
    id: 'c1',
    type: 'audio',
    status: 'ended',
    callerId: 'caller',
    roomId: 'r1',
    isGroup: false,
    ringDeadline: null,
    startedAt: at(5),
    endedAt: at(47),
    endReason: 'completed',
    quality: null,
    callerSocketId: null,
    createdAt: at(0),
    updatedAt: at(47),
    // Stored order is not guaranteed: the caller is listed first anyway.
    participants: [
      {
        callId: 'c1',
        userId: 'callee',
        state: 'left',
        joinedAt: at(5),
        leftAt: at(47),
        createdAt: at(0),
      },
      {
        callId: 'c1',
        userId: 'caller',
        state: 'left',
        joinedAt: at(0),
        leftAt: at(47),
        createdAt: at(0),
      },
    ],
    ...overrides,
  };
}

describe('call mapper', () => {
  it('renders a call with the caller first and the duration from the answer', () => {
    const res = toCallResponse(call());
    expect(res.participants.map((p) => p.userId)).toEqual(['caller', 'callee']);
    expect(res).toMatchObject({
      durationSeconds: 42,
      startedAt: at(5).toISOString(),
      quality: null,
    });
  });

  it('has no duration for a call never answered', () => {
    expect(toCallResponse(call({ startedAt: null, status: 'missed' })).durationSeconds).toBeNull();
    expect(toSnapshot(call({ participants: undefined })).participants).toEqual([]);
  });

  it('summarises quality as min/avg/max per reported metric', () => {
    expect(
      toQualityResponse({
        reports: 3,
        rttMs: { min: 10, max: 30, sum: 61, count: 3 },
        jitterMs: { min: 0, max: 0, sum: 0, count: 0 },
      }),
    ).toEqual({ reports: 3, rttMs: { min: 10, avg: 20.33, max: 30 } });
    expect(toQualityResponse(null)).toBeNull();
  });
});
