import {
  isNewRemoteSession,
  isOfferCollision,
  needsIceRestart,
  needsStalledIceRestart,
  politeInCall,
  sdpSessionId,
  shouldIgnoreOffer,
} from './negotiation';

const idle = {
  makingOffer: false,
  signalingState: 'stable',
  settingRemoteAnswerPending: false,
} as const;

describe('perfect negotiation decisions', () => {
  it('sees no collision for an offer arriving while stable and idle', () => {
    expect(isOfferCollision('offer', idle)).toBe(false);
  });

  it('sees a collision when our own offer is being made or is outstanding (glare)', () => {
    expect(isOfferCollision('offer', { ...idle, makingOffer: true })).toBe(true);
    expect(isOfferCollision('offer', { ...idle, signalingState: 'have-local-offer' })).toBe(true);
  });

  it('does not count an offer arriving while our answer is being applied as a collision', () => {
    expect(
      isOfferCollision('offer', {
        ...idle,
        signalingState: 'have-local-offer',
        settingRemoteAnswerPending: true,
      }),
    ).toBe(false);
  });

  it('never treats an answer as a collision', () => {
    expect(isOfferCollision('answer', { ...idle, makingOffer: true })).toBe(false);
  });

  it('makes the impolite peer ignore a colliding offer and the polite one yield to it', () => {
    expect(shouldIgnoreOffer(false, true)).toBe(true);
    expect(shouldIgnoreOffer(true, true)).toBe(false);
    expect(shouldIgnoreOffer(false, false)).toBe(false);
  });

  it('makes the caller impolite and the callee polite in a direct call', () => {
    expect(politeInCall(true)).toBe(false);
    expect(politeInCall(false)).toBe(true);
  });

  it('restarts ICE only once the connection has failed', () => {
    expect(needsIceRestart('failed')).toBe(true);
    expect(needsIceRestart('disconnected')).toBe(false);
    expect(needsIceRestart('connected')).toBe(false);
  });

  it('restarts a stalled ICE (still new after negotiation) from the impolite side only', () => {
    expect(needsStalledIceRestart(false, 'new', 'stable')).toBe(true);
    expect(needsStalledIceRestart(true, 'new', 'stable')).toBe(false);
    expect(needsStalledIceRestart(false, 'connecting', 'stable')).toBe(false);
    expect(needsStalledIceRestart(false, 'connected', 'stable')).toBe(false);
    expect(needsStalledIceRestart(false, 'new', 'have-local-offer')).toBe(false);
  });

  const offer = (id: string, version: number) =>
    `v=0\r\no=- ${id} ${version} IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n`;

  it('reads the session id of the origin line', () => {
    expect(sdpSessionId(offer('4611731400430051336', 2))).toBe('4611731400430051336');
    expect(sdpSessionId('v=0\r\ns=-\r\n')).toBeUndefined();
  });

  it('replaces a connection only for an offer from another peer connection', () => {
    const current = '111';
    expect(isNewRemoteSession(current, offer('111', 3))).toBe(false); // renegotiation, ICE restart
    expect(isNewRemoteSession(current, offer('222', 2))).toBe(true); // the sender reloaded
    expect(isNewRemoteSession(undefined, offer('222', 2))).toBe(false); // first offer
    expect(isNewRemoteSession(current, 'garbage')).toBe(false);
  });
});
