// Wiring of the demo page: sign-in, rooms, the consultation (waiting room, peers, media),
// direct calls and the quality readout. Each concern lives in its own file; this one only
// connects them to the page and to Hekim's events.
import { Api, ApiError } from './api.js';
import { CallUi, type IncomingCall } from './call-ui.js';
import { ChatPanel } from './chat.js';
import { Clinic, wireClinic } from './clinic.js';
import { ConsentStep } from './consent.js';
import { arriveByLink, forgetInvitation, invitationOfPage } from './guest.js';
import { LocalMedia } from './media.js';
import { politeInCall, POLITE_TOWARDS_NEWCOMER } from './negotiation.js';
import { Peer } from './peer.js';
import { PeerGroup } from './peers.js';
import { Signaling, SignalingError } from './signaling.js';
import { QualityMonitor } from './stats.js';
import type { QualitySample } from './stats-math.js';
import {
  displayNameOf,
  type CallJoinInfo,
  type JoinedRoom,
  type JoinResult,
  type Redeemed,
  type Room,
  type User,
  userIdOf,
} from './types.js';
import {
  removeRemote,
  removeWaiting,
  roomItem,
  setConnectionState,
  setRoomStatus,
  showRemote,
  showSample,
  showWaiting,
  updateMediaButtons,
} from './render.js';
import { byTestId, errorMessage, inputValue, log, setText, show } from './view.js';
import { wireMailbox } from './mailbox.js';

const ACTIVE_ROOM_KEY = 'hekim-demo.activeRoom';

// A live media session: a consultation room, or the room of a direct call.
interface MediaSession {
  kind: 'room' | 'call';
  roomId: string;
  callId?: string;
  peers: PeerGroup;
  monitor: QualityMonitor;
}

const api = new Api();
const media = new LocalMedia();
const consent = new ConsentStep(api, log);
const clinic = new Clinic(api, {
  joinRoom: (roomId) => joinRoom(roomId),
  queueNext: () => requireSignaling().request('queue:next', {}),
  run: (what, action) => void run(what, action),
});
let signaling: Signaling | undefined;
let me: User | undefined;
let session: MediaSession | undefined;
let iceServers: RTCIceServer[] = [];
let lastSample: QualitySample | undefined;
// Set while the page is an invitation's guest (arrived by link, no account).
let visit: Redeemed | undefined;
let outgoing: { callId: string; roomId: string; calleeName: string } | undefined;
const incomingCalls = new Map<
  string,
  { roomId: string; fromId: string; fromName: string; iceServers: RTCIceServer[] }
>();

const chat = new ChatPanel(
  api,
  () => signaling,
  () => me?.id,
);

const callUi = new CallUi({
  onAccept: (call) => void run('accept call', () => acceptCall(call)),
  onReject: (call) => void run('reject call', () => rejectCall(call)),
  onCancel: () => void run('cancel call', cancelCall),
  onHangUp: () => void run('hang up', leave),
});

// Runs a user action and reports its failure on the page instead of losing it.
async function run(what: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    log(`${what} failed: ${errorMessage(error)}`);
    if (isCode(error, 'CONSENT_REQUIRED')) await run('consent', checkConsent);
  }
}

function isCode(error: unknown, code: string): boolean {
  return (error instanceof ApiError || error instanceof SignalingError) && error.code === code;
}

// ---- Sign-in ----

async function signIn(email: string, password: string): Promise<void> {
  setText('auth-error', '');
  try {
    await api.login(email, password);
  } catch (error) {
    setText('auth-error', errorMessage(error));
    return;
  }
  await run('sign in', afterSignIn);
}

async function register(name: string, email: string, password: string): Promise<void> {
  setText('auth-error', '');
  try {
    await api.register(email, password, name);
  } catch (error) {
    setText('auth-error', errorMessage(error));
    return;
  }
  await signIn(email, password);
}

async function afterSignIn(): Promise<void> {
  me = await api.me();
  setText('whoami', me.displayName);
  setText('my-role', me.role);
  setText('my-user-id', me.id);
  show('auth-panel', false);
  show('user-panel', true);
  show('room-create-form', me.role === 'doctor' || me.role === 'admin');
  log(`signed in as ${me.displayName} (${me.role})`);
  try {
    connectSignaling();
  } catch (error) {
    setText('signaling-state', 'unavailable');
    log(`signaling unavailable: ${errorMessage(error)}`);
  }
  const role = me.role;
  await Promise.all([
    run('rooms', loadRooms),
    run('consent', checkConsent),
    run('appointments', () => clinic.start(role)),
  ]);
}

// ---- Arriving by an invitation link ----

async function arrive(token: string): Promise<void> {
  setText('auth-error', '');
  try {
    visit = await arriveByLink(api, token);
  } catch (error) {
    forgetInvitation();
    setText('auth-error', `This invitation link cannot be used: ${errorMessage(error)}`);
    return;
  }
  const grant = visit;
  me = {
    id: grant.guestId,
    email: '',
    displayName: grant.displayName,
    role: 'guest',
    status: 'active',
    mfaEnabled: false,
    createdAt: '',
  };
  setText('whoami', grant.displayName);
  setText('my-role', grant.role);
  setText('my-user-id', grant.guestId);
  show('auth-panel', false);
  show('user-panel', true);
  show('account-tools', false);
  show('guest-panel', true);
  setText(
    'guest-welcome',
    `Welcome, ${grant.displayName}. This link lets you (${grant.role}) into one appointment, ` +
      `until ${new Date(grant.validUntil).toLocaleString()}.`,
  );
  setText('guest-enter', grant.role === 'patient' ? 'Check in and wait' : 'Go to the waiting room');
  log(`arrived by invitation as ${grant.displayName} (${grant.role})`);
  connectSignaling();
  await run('consent', () => consent.check());
}

// The invited patient checks in (that puts them in the clinician's queue); every guest then
// waits in the appointment's waiting room until the clinician lets them in.
async function enterAsGuest(): Promise<void> {
  if (!visit) return;
  if (visit.role === 'patient') {
    await api.appointmentAct(visit.appointmentId, 'check-in').catch((error: unknown) => {
      // Checked in already (a reload): the join below is what matters.
      if (!isCode(error, 'CONFLICT')) throw error;
    });
  }
  await joinRoom(visit.roomId);
}

async function signOut(): Promise<void> {
  await run('leave', leave);
  signaling?.close();
  signaling = undefined;
  await api.logout();
  me = undefined;
  visit = undefined;
  forgetInvitation();
  show('guest-panel', false);
  show('account-tools', true);
  clinic.stop();
  show('user-panel', false);
  show('media-panel', false);
  show('auth-panel', true);
  setText('signaling-state', 'offline');
  log('signed out');
}

// KVKK: a patient needs an active telemedicine consent before joining or answering
// (consent.ts shows the texts and grants them).
async function checkConsent(): Promise<void> {
  if (me?.role === 'patient' || me?.role === 'guest') await consent.check();
  else consent.skip();
}

// ---- Rooms ----

// My rooms, and the rooms I am invited to (a patient accepts or declines them first).
async function loadRooms(): Promise<void> {
  const page = await api.rooms();
  const list = byTestId('rooms-list');
  const myId = me?.id ?? '';
  list.replaceChildren(
    ...page.items
      .filter((r) => r.type !== 'call')
      .map((room) =>
        roomItem(room, myId, {
          join: () => void run('join', () => joinRoom(room.id)),
          accept: () => void run('accept', () => answerInvitation(room, true)),
          decline: () => void run('decline', () => answerInvitation(room, false)),
        }),
      ),
  );
}

async function answerInvitation(room: Room, accept: boolean): Promise<void> {
  if (accept) await api.acceptInvitation(room.id);
  else await api.declineInvitation(room.id);
  log(`${accept ? 'accepted' : 'declined'} the invitation to ${room.name}`);
  await loadRooms();
}

async function createRoom(name: string, patientId: string): Promise<void> {
  await api.createRoom(name, [patientId]);
  log(`room created: ${name}`);
  await loadRooms();
}

async function joinRoom(roomId: string): Promise<void> {
  const channel = requireSignaling();
  await startLocalMedia();
  setRoomStatus('joining');
  let result: JoinResult;
  try {
    result = await channel.request('room:join', { roomId });
  } catch (error) {
    setRoomStatus('idle');
    throw error;
  }
  sessionStorage.setItem(ACTIVE_ROOM_KEY, roomId);
  if ('waiting' in result) {
    // Behind a waiting room: nothing to connect yet; room:admitted follows when the host lets
    // us in.
    beginSession('room', roomId, undefined, true);
    setRoomStatus('waiting');
    log('waiting for the host to admit you');
    // The host may let waiting people chat; if not, the history says so in the log.
    void chat.open(roomId);
    return;
  }
  enterRoom(roomId, result);
}

function enterRoom(roomId: string, joined: JoinedRoom): void {
  // A (re)join starts from fresh peer connections: the others see offers from a new peer
  // connection and replace theirs (PeerGroup.receive), so nothing stale is kept anywhere.
  iceServers = joined.iceServers;
  const current = beginSession('room', roomId, undefined, joined.polite);
  setRoomStatus('joined');
  void chat.open(roomId);
  log(`joined room (${joined.participants.length} participant(s), polite=${joined.polite})`);
  for (const participant of joined.participants) {
    if (participant.userId !== me?.id) current.peers.ensure(participant.userId);
  }
}

async function admit(roomId: string, userId: string): Promise<void> {
  await requireSignaling().request('room:admit', { roomId, userId });
  removeWaiting(userId);
  log('admitted a waiting participant');
}

// ---- Direct calls ----

async function startCall(calleeId: string): Promise<void> {
  const channel = requireSignaling();
  // One media session at a time: a consultation in progress is left properly first.
  if (session) await leave();
  await startLocalMedia();
  const ack = await channel.request('call:initiate', { calleeIds: [calleeId], type: 'video' });
  iceServers = ack.iceServers;
  // In a call the roles come from the call, not from who happens to join its room first:
  // the caller is impolite, the callee polite, whatever order the two joins land in.
  beginSession('call', ack.roomId, ack.callId, politeInCall(true));
  outgoing = { callId: ack.callId, roomId: ack.roomId, calleeName: calleeId };
  callUi.setStatus('ringing');
  setRoomStatus('calling');
  log('ringing…');
}

async function acceptCall(call: IncomingCall): Promise<void> {
  const ring = incomingCalls.get(call.callId);
  if (!ring) return;
  if (session) await leave();
  await startLocalMedia();
  iceServers = ring.iceServers;
  // The session exists before the accept goes out: the caller's offer may arrive before our
  // own acknowledgement does.
  beginSession('call', ring.roomId, call.callId, politeInCall(false));
  const accepted = await requireSignaling().request('call:accept', { callId: call.callId });
  incomingCalls.delete(call.callId);
  callUi.setStatus('active');
  setRoomStatus('in call');
  await joinCallRoom(call.callId, ring.roomId, accepted);
}

// Both parties of an answered call meet in the call's room, like a consultation without a
// waiting room: room:join, then perfect negotiation over the relay. (A server that already
// put us there on accept answers the join as a resume: it is safe to send either way.) A
// peer connection is only created once the other side is known to be in the room: an offer
// to someone who has not joined yet would be refused by the relay and lost.
async function joinCallRoom(callId: string, roomId: string, info: CallJoinInfo): Promise<void> {
  const joined = await requireSignaling().request('room:join', { roomId });
  const current = session;
  if (current?.callId !== callId || 'waiting' in joined) return;
  iceServers = info.iceServers ?? joined.iceServers;
  log(`in the call's room (${joined.participants.length} other participant(s))`);
  for (const participant of joined.participants) {
    if (participant.userId !== me?.id) current.peers.ensure(participant.userId);
  }
}

async function rejectCall(call: IncomingCall): Promise<void> {
  incomingCalls.delete(call.callId);
  callUi.setStatus('rejected', 'by you');
  await requireSignaling().request('call:reject', { callId: call.callId });
}

async function cancelCall(): Promise<void> {
  if (!outgoing) return;
  const { callId } = outgoing;
  outgoing = undefined;
  endSession();
  callUi.setStatus('cancelled', 'by you');
  await requireSignaling().request('call:cancel', { callId });
}

// ---- Media session ----

async function startLocalMedia(): Promise<void> {
  const stream = await media.start();
  byTestId<HTMLVideoElement>('local-video').srcObject = stream;
  show('media-panel', true);
  updateMediaButtons(media);
}

// Starts a media session (closing any previous one). `polite` is our perfect-negotiation role
// towards the others: the join answer's flag in a room, the callee's role in a call.
function beginSession(
  kind: MediaSession['kind'],
  roomId: string,
  callId: string | undefined,
  polite: boolean,
): MediaSession {
  endSession();
  const peers = new PeerGroup(
    polite,
    (userId, role) => createPeer(roomId, userId, role, () => peers.replace(userId)),
    (userId) => {
      removeRemote(userId);
      setConnectionState(peers.first?.pc.connectionState ?? 'closed');
    },
  );
  const monitor = new QualityMonitor(
    () => peers.first?.pc,
    (sample) => {
      lastSample = sample;
      showSample(sample);
    },
    callId ? (stats) => requireSignaling().request('call:stats', { callId, ...stats }) : undefined,
  );
  monitor.start();
  session = { kind, roomId, callId, peers, monitor };
  return session;
}

function createPeer(roomId: string, userId: string, polite: boolean, onStalled: () => void): Peer {
  const config: RTCConfiguration = {
    iceServers,
    // Relay-only forces media through TURN: what a patient behind a strict NAT gets anyway.
    iceTransportPolicy: byTestId<HTMLInputElement>('relay-only').checked ? 'relay' : 'all',
  };
  const peer = new Peer(
    userId,
    polite,
    config,
    media.current,
    {
      sendOffer: (sdp) => requireSignaling().request('call:offer', { roomId, to: userId, sdp }),
      sendAnswer: (sdp) => requireSignaling().request('call:answer', { roomId, to: userId, sdp }),
      // The contract's candidate line is a string (empty: end of candidates); the DOM's
      // RTCIceCandidateInit leaves it optional.
      sendCandidate: ({ candidate = '', ...rest }) =>
        requireSignaling().request('call:ice-candidate', {
          roomId,
          to: userId,
          candidate: { ...rest, candidate },
        }),
    },
    {
      onRemoteStream: (stream) => showRemote(userId, stream),
      onStateChange: (state) => {
        setConnectionState(state);
        log(`peer connection: ${state}`);
      },
      onError: (error) => log(`negotiation error: ${errorMessage(error)}`),
      onLog: log,
      onStalled,
    },
  );
  setConnectionState(peer.pc.connectionState);
  return peer;
}

// Closes every peer connection of the current session (the local camera stays on).
function endSession(): void {
  if (!session) return;
  session.monitor.stop();
  session.peers.closeAll();
  byTestId('remote-videos').replaceChildren();
  session = undefined;
  setConnectionState('closed');
}

async function leave(): Promise<void> {
  const current = session;
  endSession();
  byTestId('waiting-list').replaceChildren();
  media.stop();
  byTestId<HTMLVideoElement>('local-video').srcObject = null;
  sessionStorage.removeItem(ACTIVE_ROOM_KEY);
  chat.close();
  if (!current) return;
  if (current.kind === 'room') {
    setRoomStatus('left');
    await requireSignaling().request('room:leave', { roomId: current.roomId });
  } else if (current.callId) {
    if (outgoing?.callId === current.callId && callStatus() === 'ringing') {
      outgoing = undefined;
      await requireSignaling().request('call:cancel', { callId: current.callId });
    } else {
      await requireSignaling().request('call:end', { callId: current.callId });
      await leaveCallRoom(current.roomId);
    }
  }
}

// The call's room outlives the call only until its participants leave (docs/calls.md).
async function leaveCallRoom(roomId: string): Promise<void> {
  await signaling?.request('room:leave', { roomId }).catch(() => undefined);
}

function callStatus(): string | undefined {
  return byTestId('call-status').dataset.status;
}

// ---- Signaling events ----

function connectSignaling(): void {
  const token = api.accessToken;
  if (!token || signaling) return;
  const channel = new Signaling(token);
  signaling = channel;
  let everConnected = false;

  channel.onConnect((recovered) => {
    setText('signaling-state', 'connected');
    const rejoin = session?.kind === 'room' ? session.roomId : undefined;
    const resume = everConnected ? rejoin : (sessionStorage.getItem(ACTIVE_ROOM_KEY) ?? undefined);
    everConnected = true;
    log(recovered ? 'signaling reconnected (state recovered)' : 'signaling connected');
    // Back within the reconnect grace: join again and the session goes on (a reload lands
    // here too, from sessionStorage).
    if (resume && !recovered) void run('rejoin', () => joinRoom(resume));
    // In a call the peer connection usually survives a signaling drop (media does not go
    // through Hekim); joining the call's room again is enough to be counted back in.
    const call = session?.kind === 'call' ? session : undefined;
    if (call?.callId && callStatus() === 'active' && !recovered) {
      const { callId, roomId } = call;
      void run('rejoin call', () => joinCallRoom(callId, roomId, {}));
    }
  });
  channel.onDisconnect((reason) => {
    setText('signaling-state', 'disconnected');
    log(`signaling disconnected: ${reason}`);
  });
  channel.onConnectError((message) => {
    // UNAUTHORIZED when the server refused the token; a transport error when unreachable.
    setText('signaling-state', `connect failed: ${message}`);
    log(`signaling connect failed: ${message}`);
  });

  channel.on('auth:expired', () => {
    log('signaling token expired; refreshing');
    void run('refresh', async () => {
      await api.refresh();
      channel.reconnect();
    });
  });
  channel.on('ice:servers', (payload) => {
    iceServers = payload.iceServers;
    for (const peer of session?.peers.all() ?? []) peer.updateIceServers(payload.iceServers);
    log(`fresh ICE servers until ${payload.expiresAt}`);
  });

  channel.on('chat:message', (p) => chat.onMessage(p.message));
  channel.on('chat:typing', (p) => chat.onTyping(p));
  channel.on('chat:read', (p) => chat.onRead(p));
  channel.on('room:participant-joined', (p) => {
    if (!session || session.roomId !== p.roomId || p.userId === me?.id) return;
    // Someone we already know (a reload, a new device) announces itself with an offer from a
    // new peer connection, which PeerGroup.receive handles; only newcomers are set up here.
    // In a call both roles are fixed by the call (the group's default).
    if (session.kind === 'call') session.peers.ensure(p.userId);
    else session.peers.ensure(p.userId, POLITE_TOWARDS_NEWCOMER);
    log(`${p.displayName ?? p.userId} joined`);
  });
  channel.on('room:participant-left', (p) => {
    if (session?.roomId !== p.roomId) return;
    session.peers.remove(p.userId);
    log(`${p.userId} left`);
  });
  channel.on('room:waiting', (p) => {
    const userId = userIdOf(p.user);
    const name = displayNameOf(p.user);
    showWaiting(userId, name, () => void run('admit', () => admit(p.roomId, userId)));
    log(`${name} is in the waiting room`);
    if (me?.role === 'doctor') void run('queue', () => clinic.refresh());
  });
  // Our place in the clinician's queue while we wait (docs/appointments.md, "The queue").
  // It may arrive before the join that follows a check-in: a person hears only of their own
  // appointments, so it is shown whatever the page is doing.
  channel.on('queue:update', (p) => {
    const position = byTestId('queue-position');
    position.dataset.position = String(p.position);
    position.textContent =
      p.position === 1
        ? 'You are next. The clinician will let you in shortly.'
        : `You are number ${p.position} in the queue: about ${p.estimatedWaitMinutes} minutes to wait.`;
  });
  // The clinician's queue changed: the doctor's day shows it as it is now.
  channel.on('queue:changed', () => {
    if (me?.role === 'doctor') void run('queue', () => clinic.refresh());
  });
  channel.on('room:admitted', (p) => {
    log('admitted by the host');
    setText('queue-position', '');
    delete byTestId('queue-position').dataset.position;
    if (p.participants && p.iceServers && p.sessionId !== undefined && p.polite !== undefined) {
      enterRoom(p.roomId, p);
    } else {
      void run('join', () => joinRoom(p.roomId));
    }
  });
  channel.on('room:replaced', (p) => {
    if (session?.roomId !== p.roomId) return;
    endSession();
    sessionStorage.removeItem(ACTIVE_ROOM_KEY);
    setRoomStatus('replaced');
    log('joined from another device; this page left the room');
  });

  channel.on('room:session-ended', (p) => {
    if (session?.roomId !== p.roomId) return;
    endSession();
    sessionStorage.removeItem(ACTIVE_ROOM_KEY);
    setRoomStatus('ended');
    log(`consultation ended: ${p.reason}`);
  });
  // Taken out of the room (by its host, or consent withdrawn): leave it and forget it.
  channel.on('room:removed', (p) => {
    if (session?.roomId === p.roomId) {
      endSession();
      sessionStorage.removeItem(ACTIVE_ROOM_KEY);
      setRoomStatus('removed');
    }
    log(`removed from a room: ${p.reason}`);
    void run('rooms', loadRooms);
  });
  // The instance is shutting down; Socket.IO reconnects (to another one) and we rejoin.
  channel.on('server:draining', () => log('server draining; reconnecting'));

  channel.on('call:offer', (p) => void run('offer', () => onDescription('offer', p)));
  channel.on('call:answer', (p) => void run('answer', () => onDescription('answer', p)));
  channel.on('call:ice-candidate', (p) => {
    const peers = session?.roomId === p.roomId ? session.peers : undefined;
    const signal = { kind: 'candidate', candidate: p.candidate } as const;
    if (peers) void run('candidate', () => peers.receive(p.from, signal));
  });

  channel.on('call:incoming', (p) => {
    const fromName = displayNameOf(p.from);
    incomingCalls.set(p.callId, {
      roomId: p.roomId,
      fromId: userIdOf(p.from),
      fromName,
      iceServers: p.iceServers,
    });
    callUi.ring({ callId: p.callId, fromName, type: p.type });
    log(`incoming call from ${fromName}`);
  });
  channel.on('call:accepted', (p) => {
    if (session?.callId !== p.callId) return;
    const roomId = session.roomId;
    outgoing = undefined;
    callUi.setStatus('active');
    setRoomStatus('in call');
    void run('join call', () => joinCallRoom(p.callId, roomId, p));
  });
  channel.on('call:answered-elsewhere', (p) => {
    incomingCalls.delete(p.callId);
    callUi.setStatus('answered-elsewhere');
  });
  channel.on('call:rejected', (p) => finishCall(p.callId, 'rejected'));
  channel.on('call:cancelled', (p) => finishCall(p.callId, 'cancelled'));
  channel.on('call:ended', (p) =>
    finishCall(p.callId, 'ended', `${p.reason}, ${p.durationSeconds ?? 0} s`),
  );
  channel.on('call:missed', (p) => {
    const ring = incomingCalls.get(p.callId);
    if (ring) callUi.missed(ring.fromName);
    finishCall(p.callId, 'missed');
  });
}

async function onDescription(
  type: 'offer' | 'answer',
  p: { roomId: string; from: string; sdp: string },
): Promise<void> {
  if (session?.roomId !== p.roomId) return;
  await session.peers.receive(p.from, { kind: type, sdp: p.sdp });
}

function finishCall(
  callId: string,
  status: 'rejected' | 'cancelled' | 'ended' | 'missed',
  detail = '',
): void {
  incomingCalls.delete(callId);
  if (outgoing?.callId === callId) outgoing = undefined;
  const current = session?.callId === callId ? session : undefined;
  if (current) {
    endSession();
    media.stop();
    setRoomStatus('idle');
    if (status === 'ended') void leaveCallRoom(current.roomId);
  }
  callUi.setStatus(status, detail);
  log(`call ${status}${detail ? ` (${detail})` : ''}`);
}

function requireSignaling(): Signaling {
  if (!signaling) throw new Error('not connected to signaling');
  return signaling;
}

// ---- Debugging handle for tests and curious developers (read-only) ----

const debugHandle = Object.freeze({
  get pc(): RTCPeerConnection | undefined {
    return session?.peers.first?.pc;
  },
  get peerConnections(): RTCPeerConnection[] {
    return session?.peers.all().map((p) => p.pc) ?? [];
  },
  get state() {
    return {
      user: me ? { id: me.id, role: me.role } : undefined,
      signalingConnected: signaling?.connected ?? false,
      session: session
        ? { kind: session.kind, roomId: session.roomId, callId: session.callId }
        : undefined,
      connectionState: session?.peers.first?.pc.connectionState,
      audioEnabled: media.audioEnabled,
      videoEnabled: media.videoEnabled,
      quality: lastSample,
    };
  },
  // Drops the signaling transport as a network failure would; Socket.IO then reconnects.
  dropSignaling(): void {
    signaling?.simulateNetworkDrop();
  },
});
Object.defineProperty(window, 'hekimDemo', { value: debugHandle, enumerable: true });

// ---- Page wiring ----

function wire(): void {
  byTestId<HTMLFormElement>('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn(inputValue('signin-email'), byTestId<HTMLInputElement>('signin-password').value);
  });
  byTestId<HTMLFormElement>('register-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void register(
      inputValue('register-name'),
      inputValue('register-email'),
      byTestId<HTMLInputElement>('register-password').value,
    );
  });
  byTestId<HTMLFormElement>('room-create-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void run('create room', () =>
      createRoom(inputValue('room-create-name'), inputValue('room-create-member')),
    );
  });
  byTestId<HTMLFormElement>('call-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void run('call', () => startCall(inputValue('call-user-id')));
  });
  byTestId('signout').addEventListener('click', () => void run('sign out', signOut));
  byTestId('guest-enter').addEventListener('click', () => void run('check in', enterAsGuest));
  byTestId('rooms-refresh').addEventListener('click', () => void run('rooms', loadRooms));
  byTestId('leave').addEventListener('click', () => void run('leave', leave));
  byTestId<HTMLFormElement>('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byTestId<HTMLInputElement>('chat-input');
    const text = input.value;
    input.value = '';
    void run('send message', () => chat.sendText(text));
  });
  byTestId('chat-input').addEventListener('input', () => chat.typing());
  byTestId<HTMLInputElement>('chat-file').addEventListener('change', (event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void run('send file', () => chat.sendFile(file));
  });
  byTestId('mute-audio').addEventListener('click', () => {
    media.setAudioEnabled(!media.audioEnabled);
    updateMediaButtons(media);
  });
  byTestId('toggle-video').addEventListener('click', () => {
    media.setVideoEnabled(!media.videoEnabled);
    updateMediaButtons(media);
  });
  // ?relay=1 preselects relay-only, handy for trying TURN from a bookmark.
  byTestId<HTMLInputElement>('relay-only').checked =
    new URLSearchParams(location.search).get('relay') === '1';
  api.onTokenChange((token) => {
    if (token) void signaling?.updateToken(token).catch(() => signaling?.reconnect());
  });
  api.onRefreshFailed = (error) => log(`session expired: ${errorMessage(error)}`);
}

wire();
wireMailbox(api);
wireClinic(clinic, (what, action) => void run(what, action));
const invitation = invitationOfPage();
if (invitation) void run('invitation', () => arrive(invitation));
else if (api.accessToken) void run('restore session', afterSignIn);
