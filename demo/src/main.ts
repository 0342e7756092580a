// Wiring of the Hekim consultation app: sign-in, the patient's home and the doctor's day,
// the pre-call check, the waiting and call screens (peers, media, quality), direct calls and
// the end-of-call screen. Each concern lives in its own file; this one only connects them to
// the page and to Hekim's events. The WebRTC and signaling logic (negotiation.ts, peer.ts,
// peers.ts, signaling.ts, media-control.ts, precheck.ts) knows nothing of the UI.
import { Api, ApiError } from './api.js';
import { CallUi, type IncomingCall } from './call-ui.js';
import { ChatPanel } from './chat.js';
import { Clinic, wireClinic } from './clinic.js';
import { ConsentStep } from './consent.js';
import { errorCodeOf, friendlyError } from './errors.js';
import {
  formatClock,
  formatDuration,
  initI18n,
  language,
  type Language,
  onLanguageChange,
  setLanguage,
  t,
} from './i18n.js';
import { arriveByLink, forgetInvitation, invitationOfPage } from './guest.js';
import { LocalMedia } from './media.js';
import { arriving, replaceOutgoing, setSending } from './media-control.js';
import { politeInCall, POLITE_TOWARDS_NEWCOMER } from './negotiation.js';
import { Peer } from './peer.js';
import { PeerGroup } from './peers.js';
import { People, roleLabel } from './people.js';
import { PrecheckScreen } from './precheck-screen.js';
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
  clearRemotes,
  labelRemote,
  removeRemote,
  removeWaiting,
  showRemoteMedia,
  roomItem,
  setConnectionState,
  setRoomStatus,
  showRemote,
  showSample,
  showWaiting,
  updateMediaButtons,
} from './render.js';
import {
  byTestId,
  currentScreen,
  errorMessage,
  inputValue,
  log,
  notify,
  setText,
  show,
  showScreen,
} from './view.js';
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

await initI18n();

const api = new Api();
const media = new LocalMedia();
const people = new People(api);
const consent = new ConsentStep(api, log);
const precheck = new PrecheckScreen(api, media, () => signaling?.connected ?? false);
const clinic = new Clinic(api, people, {
  joinRoom: (roomId, appointmentId) => goToRoom(roomId, appointmentId),
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

// The call's clock: from the moment the other side is there (admitted, answered).
let startedAt: number | undefined;
let clock: number | undefined;
// Once a second: what each remote person is sending (the muted indicators on their tiles).
let mediaWatch: number | undefined;
let lastRooms: Room[] = [];

const chat = new ChatPanel(
  api,
  () => signaling,
  () => me?.id,
  (userId) => people.nameOf(userId),
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
    notify(friendlyError(error));
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
    log(`sign in failed: ${errorMessage(error)}`);
    setText('auth-error', friendlyError(error));
    return;
  }
  await run('sign in', afterSignIn);
}

async function register(name: string, email: string, password: string): Promise<void> {
  setText('auth-error', '');
  try {
    await api.register(email, password, name);
  } catch (error) {
    log(`registration failed: ${errorMessage(error)}`);
    // A 401 here is not a wrong password: say what the server's check was about.
    setText(
      'auth-error',
      errorCodeOf(error) === 'UNAUTHORIZED' ? t('errors.generic') : friendlyError(error),
    );
    return;
  }
  await signIn(email, password);
}

async function afterSignIn(): Promise<void> {
  me = await api.me();
  people.remember(me.id, { name: me.displayName, role: me.role });
  showUser();
  show('room-create-form', me.role === 'doctor');
  if (currentScreen() === 'signin' || currentScreen() === undefined) showScreen('home');
  log(`signed in as ${me.role}`);
  try {
    connectSignaling();
  } catch (error) {
    setSignalingState('failed');
    log(`signaling unavailable: ${errorMessage(error)}`);
  }
  const role = me.role;
  await Promise.all([
    run('rooms', loadRooms),
    run('consent', checkConsent),
    run('appointments', () => clinic.start(role)),
  ]);
}

// The header's name and role, the home screen's greeting.
function showUser(): void {
  if (!me) return;
  setText('whoami', me.displayName);
  setText('my-role', visit ? roleLabel(visit.role) : roleLabel(me.role));
  show('user-chip', true);
  show('signout', true);
  setText('greeting', t('home.greeting', { name: me.displayName }));
  setText(
    'home-intro',
    me.role === 'doctor' ? t('home.doctorIntro') : visit ? '' : t('home.patientIntro'),
  );
  setText(
    'appointments-title',
    me.role === 'doctor' ? t('clinic.today') : t('clinic.appointments'),
  );
  if (visit) {
    setText(
      'guest-welcome',
      t('guest.welcome', {
        name: visit.displayName,
        role: roleLabel(visit.role).toLocaleLowerCase(language()),
        until: new Date(visit.validUntil).toLocaleString(language() === 'tr' ? 'tr-TR' : 'en-GB'),
      }),
    );
    setText(
      'guest-enter',
      visit.role === 'patient' ? t('guest.enterPatient') : t('guest.enterOther'),
    );
  }
}

// ---- Arriving by an invitation link ----

async function arrive(token: string): Promise<void> {
  setText('auth-error', '');
  try {
    visit = await arriveByLink(api, token);
  } catch (error) {
    forgetInvitation();
    log(`invitation refused: ${errorMessage(error)}`);
    setText('auth-error', t('guest.badLink'));
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
  people.remember(grant.guestId, { name: grant.displayName, role: grant.role });
  show('account-tools', false);
  show('guest-panel', true);
  showUser();
  if (currentScreen() === 'signin' || currentScreen() === undefined) showScreen('home');
  log(`arrived by invitation (${grant.role})`);
  connectSignaling();
  await run('consent', () => consent.check());
}

// The invited patient checks their device, checks in (that puts them in the clinician's
// queue); every guest then waits in the appointment's waiting room until the clinician lets
// them in.
async function enterAsGuest(): Promise<void> {
  const grant = visit;
  if (!grant) return;
  await precheck.open({
    onBack: () => showScreen('home'),
    onContinue: () =>
      void run('check in', async () => {
        if (grant.role === 'patient') {
          await api.appointmentAct(grant.appointmentId, 'check-in').catch((error: unknown) => {
            // Checked in already (a reload): the join below is what matters.
            if (!isCode(error, 'CONFLICT')) throw error;
          });
        }
        await joinRoom(grant.roomId);
      }),
  });
}

// A person goes into a room: patients and guests check their device first (the pre-call
// check screen); a doctor goes straight in.
async function goToRoom(roomId: string, appointmentId?: string): Promise<void> {
  if (me?.role === 'patient' || me?.role === 'guest') {
    await precheck.open({
      appointmentId,
      onBack: () => showScreen('home'),
      onContinue: () => void run('join', () => joinRoom(roomId)),
    });
    return;
  }
  await joinRoom(roomId);
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
  show('user-chip', false);
  show('signout', false);
  clinic.stop();
  showScreen('signin');
  setSignalingState('offline');
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
  lastRooms = page.items.filter((r) => r.type !== 'call');
  renderRooms();
  // Accepting an invitation starts a care relationship: the people one may call change.
  await loadContacts();
}

function renderRooms(): void {
  const myId = me?.id ?? '';
  byTestId('rooms-list').replaceChildren(
    ...lastRooms.map((room) =>
      roomItem(room, myId, {
        join: () => void run('join', () => goToRoom(room.id)),
        accept: () => void run('accept', () => answerInvitation(room, true)),
        decline: () => void run('decline', () => answerInvitation(room, false)),
      }),
    ),
  );
  show('rooms-empty', lastRooms.length === 0);
}

// The people I may call (and, for a doctor, invite to a room), by name.
async function loadContacts(): Promise<void> {
  if (!me || (me.role !== 'doctor' && me.role !== 'patient')) return;
  const contacts = await people.contacts(me.id);
  for (const id of ['call-callee', 'room-create-member']) {
    const select = byTestId<HTMLSelectElement>(id);
    const chosen = select.value;
    select.replaceChildren(
      ...contacts.map((c) => {
        const option = document.createElement('option');
        option.value = c.id;
        option.textContent = c.name;
        return option;
      }),
    );
    if (contacts.some((c) => c.id === chosen)) select.value = chosen;
  }
  byTestId<HTMLButtonElement>('call-start').disabled = contacts.length === 0;
}

async function answerInvitation(room: Room, accept: boolean): Promise<void> {
  if (accept) await api.acceptInvitation(room.id);
  else await api.declineInvitation(room.id);
  log(`${accept ? 'accepted' : 'declined'} a room invitation`);
  notify(t(accept ? 'home.accepted' : 'home.declined', { name: room.name }));
  await loadRooms();
}

async function createRoom(name: string, patientId: string): Promise<void> {
  await api.createRoom(name, [patientId]);
  log('room created');
  notify(t('home.roomCreated', { name }));
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
    setMode('waiting');
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
  setMode('live');
  startClock();
  void chat.open(roomId);
  log(`joined room (${joined.participants.length} participant(s), polite=${joined.polite})`);
  for (const participant of joined.participants) {
    people.remember(participant.userId, { name: participant.displayName, role: participant.role });
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
  const calleeName = people.nameOf(calleeId);
  const ack = await channel.request('call:initiate', { calleeIds: [calleeId], type: 'video' });
  iceServers = ack.iceServers;
  // In a call the roles come from the call, not from who happens to join its room first:
  // the caller is impolite, the callee polite, whatever order the two joins land in.
  beginSession('call', ack.roomId, ack.callId, politeInCall(true));
  outgoing = { callId: ack.callId, roomId: ack.roomId, calleeName };
  callUi.setStatus('ringing', { name: calleeName });
  setRoomStatus('calling');
  setMode('live');
  setText('call-title', t('call.status.ringing', { name: calleeName }));
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
  callUi.setStatus('active', { name: ring.fromName });
  setRoomStatus('in call');
  setMode('live');
  setText('call-title', t('call.status.active', { name: ring.fromName }));
  startClock();
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
  callUi.setStatus('rejected', { byMe: true });
  await requireSignaling().request('call:reject', { callId: call.callId });
}

async function cancelCall(): Promise<void> {
  if (!outgoing) return;
  const { callId } = outgoing;
  outgoing = undefined;
  endSession();
  media.stop();
  showScreen('home');
  callUi.setStatus('cancelled', { byMe: true });
  await requireSignaling().request('call:cancel', { callId });
}

// ---- Media session ----

async function startLocalMedia(): Promise<void> {
  const stream = await media.start();
  byTestId<HTMLVideoElement>('local-video').srcObject = stream;
  setText('call-title', '');
  showScreen('call');
  updateMediaButtons(media);
  void fillDevices();
}

// Waiting (queue position, own picture) or live (tiles, timer, quality).
function setMode(mode: 'waiting' | 'live'): void {
  byTestId('media-panel').dataset.mode = mode;
  show('waiting-view', mode === 'waiting');
  if (mode === 'waiting') {
    setText('call-title', t('room.status.waiting'));
    if (!byTestId('queue-position').dataset.position)
      setText('queue-position', t('room.waitingHost'));
  } else if (session?.kind === 'room') {
    setText('call-title', t('room.status.joined'));
  }
}

function startClock(): void {
  if (startedAt !== undefined) return;
  startedAt = Date.now();
  show('call-timer-wrap', true);
  const tick = (): void => {
    const seconds = ((Date.now() - (startedAt ?? Date.now())) / 1000) | 0;
    const el = byTestId('call-timer');
    el.textContent = formatClock(seconds);
    el.setAttribute('datetime', `PT${seconds}S`);
  };
  tick();
  window.clearInterval(clock);
  clock = window.setInterval(tick, 1000);
}

// Stops the clock; the seconds it ran (undefined if it never started).
function stopClock(): number | undefined {
  window.clearInterval(clock);
  clock = undefined;
  show('call-timer-wrap', false);
  const seconds = startedAt === undefined ? undefined : Math.round((Date.now() - startedAt) / 1000);
  startedAt = undefined;
  return seconds;
}

// The end-of-call screen: what happened and how long it lasted; nothing of the call stays.
function showEnded(kind: 'room' | 'call', reason: string, seconds: number | undefined): void {
  setText('ended-title', kind === 'call' ? t('ended.callTitle') : t('ended.title'));
  setText('ended-reason', t(`ended.reasons.${reason}`, { defaultValue: '' }));
  setText(
    'ended-duration',
    seconds === undefined ? '' : t('ended.duration', { duration: formatDuration(seconds) }),
  );
  byTestId('ended-duration').dataset.seconds = String(seconds ?? '');
  showSample(undefined);
  showScreen('ended');
}

// Camera and microphone choices in the devices panel.
async function fillDevices(): Promise<void> {
  const fill = async (id: string, kind: 'videoinput' | 'audioinput', current?: string) => {
    const select = byTestId<HTMLSelectElement>(id);
    const devices = await media.devices(kind);
    select.replaceChildren(
      ...devices.map((d, i) => {
        const option = document.createElement('option');
        option.value = d.deviceId;
        option.textContent =
          d.label || `${t(kind === 'videoinput' ? 'media.camera' : 'media.microphone')} ${i + 1}`;
        return option;
      }),
    );
    if (current) select.value = current;
  };
  await fill('camera-select', 'videoinput', media.deviceIdOf('video'));
  await fill('microphone-select', 'audioinput', media.deviceIdOf('audio'));
}

function peerConnections(): RTCPeerConnection[] {
  return session?.peers.all().map((p) => p.pc) ?? [];
}

async function switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
  if (!deviceId || media.deviceIdOf(kind) === deviceId) return;
  try {
    const track = await media.switchDevice(kind, deviceId);
    if (!(kind === 'video' && media.sharing)) await replaceOutgoing(peerConnections(), kind, track);
    log(`switched ${kind} device`);
  } catch (error) {
    log(`device switch failed: ${errorMessage(error)}`);
    notify(t('media.deviceFailed'));
  }
}

async function toggleShare(): Promise<void> {
  if (media.sharing) {
    const camera = media.stopScreenShare();
    if (camera) await replaceOutgoing(peerConnections(), 'video', camera);
    byTestId<HTMLVideoElement>('local-video').srcObject = media.current ?? null;
  } else {
    let track: MediaStreamTrack;
    try {
      track = await media.startScreenShare(() => void run('stop sharing', toggleShare));
    } catch (error) {
      log(`screen share failed: ${errorMessage(error)}`);
      notify(t('media.shareFailed'));
      return;
    }
    await replaceOutgoing(peerConnections(), 'video', track);
    byTestId<HTMLVideoElement>('local-video').srcObject = new MediaStream([track]);
  }
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
  window.clearInterval(mediaWatch);
  mediaWatch = window.setInterval(() => {
    for (const peer of peers.all()) {
      if (peer.pc.connectionState !== 'connected') continue;
      arriving(peer.pc).then(
        (sending) => showRemoteMedia(peer.remoteUserId, sending),
        () => undefined,
      );
    }
  }, 1000);
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
      onRemoteStream: (stream) => showRemote(userId, stream, people.get(userId)),
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
  // Joining while muted: the new connection does not send what is off either.
  if (!media.audioEnabled) setSending([peer.pc], 'audio', false);
  if (!media.videoEnabled) setSending([peer.pc], 'video', false);
  return peer;
}

// Closes every peer connection of the current session (the local camera stays on).
function endSession(): void {
  if (!session) return;
  session.monitor.stop();
  window.clearInterval(mediaWatch);
  mediaWatch = undefined;
  session.peers.closeAll();
  clearRemotes();
  session = undefined;
  setConnectionState('closed');
  showSample(undefined);
}

async function leave(): Promise<void> {
  const current = session;
  const wasLive = byTestId('media-panel').dataset.mode === 'live' && startedAt !== undefined;
  endSession();
  teardownMedia();
  const seconds = stopClock();
  if (!current) {
    if (currentScreen() === 'call') showScreen('home');
    return;
  }
  if (current.kind === 'room') {
    setRoomStatus('left');
    if (wasLive) showEnded('room', 'left', seconds);
    else showScreen('home');
    await requireSignaling().request('room:leave', { roomId: current.roomId });
  } else if (current.callId) {
    if (wasLive) showEnded('call', 'left', seconds);
    else showScreen('home');
    if (outgoing?.callId === current.callId && callStatus() === 'ringing') {
      outgoing = undefined;
      await requireSignaling().request('call:cancel', { callId: current.callId });
    } else {
      await requireSignaling().request('call:end', { callId: current.callId });
      await leaveCallRoom(current.roomId);
    }
  }
}

// Local camera off, waiting list and chat closed: nothing of the session stays on screen.
function teardownMedia(): void {
  byTestId('waiting-list').replaceChildren();
  media.stop();
  byTestId<HTMLVideoElement>('local-video').srcObject = null;
  sessionStorage.removeItem(ACTIVE_ROOM_KEY);
  chat.close();
  setText('queue-position', '');
  delete byTestId('queue-position').dataset.position;
  updateMediaButtons(media);
}

// The session ended from elsewhere (the doctor ended it, another device took over, removed).
function sessionOver(reason: 'ended' | 'replaced' | 'removed'): void {
  endSession();
  teardownMedia();
  const seconds = stopClock();
  setRoomStatus(reason);
  showEnded('room', reason, seconds);
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
    setSignalingState('connected');
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
    // A sign-out closes on purpose; anything else is a lost connection being re-established.
    if (signaling === channel) setSignalingState('reconnecting');
    log(`signaling disconnected: ${reason}`);
  });
  channel.onConnectError((message) => {
    // UNAUTHORIZED when the server refused the token; a transport error when unreachable.
    setSignalingState('failed');
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
    people.remember(p.userId, { name: p.displayName, role: p.role });
    labelRemote(p.userId, people.get(p.userId));
    // Someone we already know (a reload, a new device) announces itself with an offer from a
    // new peer connection, which PeerGroup.receive handles; only newcomers are set up here.
    // In a call both roles are fixed by the call (the group's default).
    if (session.kind === 'call') session.peers.ensure(p.userId);
    else session.peers.ensure(p.userId, POLITE_TOWARDS_NEWCOMER);
    log('a participant joined');
    notify(t('room.joined', { name: people.nameOf(p.userId) }));
  });
  channel.on('room:participant-left', (p) => {
    if (session?.roomId !== p.roomId) return;
    session.peers.remove(p.userId);
    log('a participant left');
    notify(t('room.left', { name: people.nameOf(p.userId) }));
  });
  channel.on('room:waiting', (p) => {
    const userId = userIdOf(p.user);
    people.remember(userId, { name: displayNameOf(p.user), role: p.user.role });
    const name = people.nameOf(userId);
    showWaiting(userId, name, () => void run('admit', () => admit(p.roomId, userId)));
    log('someone is in the waiting room');
    if (me?.role === 'doctor') void run('queue', () => clinic.refresh());
  });
  // Our place in the clinician's queue while we wait (docs/appointments.md, "The queue").
  // It may arrive before the join that follows a check-in: a person hears only of their own
  // appointments, so it is shown whatever the page is doing.
  channel.on('queue:update', (p) => {
    const position = byTestId('queue-position');
    position.dataset.position = String(p.position);
    position.dataset.minutes = String(p.estimatedWaitMinutes);
    renderQueuePosition();
  });
  // The clinician's queue changed: the doctor's day shows it as it is now.
  channel.on('queue:changed', () => {
    if (me?.role !== 'doctor') return;
    void run('queue', () => clinic.refresh());
    // A booking begins a care relationship: a new patient to call by name.
    void run('contacts', loadContacts);
  });
  channel.on('room:admitted', (p) => {
    log('admitted by the host');
    notify(t('room.admitted'));
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
    sessionOver('replaced');
    log('joined from another device; this page left the room');
  });

  channel.on('room:session-ended', (p) => {
    if (session?.roomId !== p.roomId) return;
    sessionOver('ended');
    log(`consultation ended: ${p.reason}`);
  });
  // Taken out of the room (by its host, or consent withdrawn): leave it and forget it.
  channel.on('room:removed', (p) => {
    if (session?.roomId === p.roomId) sessionOver('removed');
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
    // call:incoming names the caller by id; the callee may read the record of someone they
    // are in care with (the only people who may ring them), so the dialog shows a name.
    void run('incoming call', async () => {
      const fromId = userIdOf(p.from);
      const fromName = (await people.lookUp(fromId))?.name ?? t('call.someone');
      incomingCalls.set(p.callId, { roomId: p.roomId, fromId, fromName, iceServers: p.iceServers });
      callUi.ring({ callId: p.callId, fromName, type: p.type });
      log('incoming call');
    });
  });
  channel.on('call:accepted', (p) => {
    if (session?.callId !== p.callId) return;
    const roomId = session.roomId;
    const name = outgoing?.calleeName;
    outgoing = undefined;
    callUi.setStatus('active', { name });
    setRoomStatus('in call');
    setText('call-title', t('call.status.active', { name: name ?? t('call.someone') }));
    startClock();
    void run('join call', () => joinCallRoom(p.callId, roomId, p));
  });
  channel.on('call:answered-elsewhere', (p) => {
    incomingCalls.delete(p.callId);
    callUi.setStatus('answered-elsewhere');
  });
  channel.on('call:rejected', (p) => finishCall(p.callId, 'rejected'));
  channel.on('call:cancelled', (p) => finishCall(p.callId, 'cancelled'));
  channel.on('call:ended', (p) => finishCall(p.callId, 'ended', p.durationSeconds ?? undefined));
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
  durationSeconds?: number,
): void {
  incomingCalls.delete(callId);
  const name = outgoing?.callId === callId ? outgoing.calleeName : undefined;
  if (outgoing?.callId === callId) outgoing = undefined;
  const current = session?.callId === callId ? session : undefined;
  if (current) {
    endSession();
    teardownMedia();
    const seconds = stopClock();
    setRoomStatus('idle');
    if (status === 'ended') {
      void leaveCallRoom(current.roomId);
      showEnded('call', 'hungUp', durationSeconds ?? seconds);
    } else {
      showScreen('home');
    }
  }
  callUi.setStatus(status, { name });
  log(`call ${status}`);
}

// The waiting screen's line: next, or the place in the queue and the estimated wait.
function renderQueuePosition(): void {
  const el = byTestId('queue-position');
  const position = Number(el.dataset.position);
  if (!position) return;
  el.textContent =
    position === 1
      ? t('room.next')
      : t('room.position', { position, minutes: Number(el.dataset.minutes ?? 0) });
}

// The banner and the machine-readable state of the signaling connection.
function setSignalingState(state: 'offline' | 'connected' | 'reconnecting' | 'failed'): void {
  const el = byTestId('signaling-state');
  const before = el.dataset.state;
  el.dataset.state = state;
  el.textContent = state;
  const banner = byTestId('connection-banner');
  banner.dataset.state = state;
  if (state === 'reconnecting' || state === 'failed') {
    banner.textContent = session ? t('media.reconnecting') : t('media.offline');
    banner.hidden = false;
  } else if (state === 'connected' && (before === 'reconnecting' || before === 'failed')) {
    banner.textContent = t('media.reconnected');
    banner.hidden = false;
    window.setTimeout(() => {
      if (banner.dataset.state === 'connected') banner.hidden = true;
    }, 4000);
  } else {
    banner.hidden = true;
  }
}

// After a language switch: everything drawn from code is drawn again.
function rerender(): void {
  showUser();
  callUi.render();
  consent.render();
  clinic.render();
  renderRooms();
  precheck.render();
  updateMediaButtons(media);
  renderQueuePosition();
  const status = byTestId('room-status').dataset.status ?? 'idle';
  setRoomStatus(status);
  if (session?.kind === 'room')
    setMode(byTestId('media-panel').dataset.mode === 'waiting' ? 'waiting' : 'live');
  for (const tile of document.querySelectorAll<HTMLElement>('[data-testid="remote-tile"]')) {
    const userId = tile.dataset.userId ?? '';
    labelRemote(userId, people.get(userId));
  }
  const quality = byTestId('quality');
  if (!quality.hidden && lastSample) showSample(lastSample);
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
    void run('call', () => startCall(byTestId<HTMLSelectElement>('call-callee').value));
  });
  byTestId('ended-home').addEventListener('click', () => {
    showScreen('home');
    setRoomStatus('idle');
    void run('appointments', () => clinic.refresh());
    void run('contacts', loadContacts);
  });
  // A booking or a consultation may have begun a care relationship: someone new to call.
  byTestId('appointments-refresh').addEventListener(
    'click',
    () => void run('contacts', loadContacts),
  );
  byTestId('share-screen').addEventListener('click', () => void run('share', toggleShare));
  byTestId('devices-toggle').addEventListener('click', () => {
    const panel = byTestId('device-panel');
    panel.hidden = !panel.hidden;
    byTestId('devices-toggle').setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden) void fillDevices();
  });
  byTestId<HTMLSelectElement>('camera-select').addEventListener('change', (event) => {
    void switchDevice('video', (event.target as HTMLSelectElement).value);
  });
  byTestId<HTMLSelectElement>('microphone-select').addEventListener('change', (event) => {
    void switchDevice('audio', (event.target as HTMLSelectElement).value);
  });
  byTestId('chat-toggle').addEventListener('click', () => {
    const panel = byTestId('chat-panel');
    panel.hidden = !panel.hidden;
    byTestId('chat-toggle').setAttribute('aria-pressed', String(!panel.hidden));
  });
  const languageSelect = byTestId<HTMLSelectElement>('language');
  languageSelect.value = language();
  languageSelect.addEventListener('change', () => {
    void setLanguage(languageSelect.value as Language);
  });
  onLanguageChange(rerender);
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
    const on = !media.audioEnabled;
    media.setAudioEnabled(on);
    setSending(peerConnections(), 'audio', on);
    updateMediaButtons(media);
  });
  byTestId('toggle-video').addEventListener('click', () => {
    const on = !media.videoEnabled;
    media.setVideoEnabled(on);
    setSending(peerConnections(), 'video', on);
    updateMediaButtons(media);
  });
  // ?relay=1 preselects relay-only, handy for trying TURN from a bookmark.
  byTestId<HTMLInputElement>('relay-only').checked =
    new URLSearchParams(location.search).get('relay') === '1';
  api.onTokenChange((token) => {
    if (token) void signaling?.updateToken(token).catch(() => signaling?.reconnect());
  });
  api.onRefreshFailed = (error) => {
    log(`session expired: ${errorMessage(error)}`);
    notify(t('errors.TOKEN_REUSED'));
  };
}

wire();
updateMediaButtons(media);
wireMailbox(api);
wireClinic(clinic, (what, action) => void run(what, action));
const invitation = invitationOfPage();
if (invitation) void run('invitation', () => arrive(invitation));
else if (api.accessToken) void run('restore session', afterSignIn);
