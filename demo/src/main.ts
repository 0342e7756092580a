// Wiring of the Hekim consultation app: sign-in, the patient's home and the doctor's day,
// the pre-call check, the waiting and call screens (peers, media, quality), direct calls and
// the end-of-call screen. Each concern lives in its own file; this one only connects them to
// the page and to Hekim's events. Everything WebRTC and signaling is the SDK's
// (@hekim/client, packages/client, bundled from its sources): SignalingClient, CallClient and
// ConsultationSession (perfect negotiation, ICE restarts, rejoin, queue, chat, quality) and
// its media controls; this app only shows what they report.
import {
  type Call,
  CallClient,
  type CallSessionOptions,
  type CallState,
  ConsultationSession,
  HekimError,
  type QualityLevel,
  type QualitySample,
  type SessionOptions,
  SignalingClient,
  type WebRtc,
} from '../../packages/client/src/index.js';
import { Api } from './api.js';
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
import { People, roleLabel } from './people.js';
import { PrecheckScreen } from './precheck-screen.js';
import { displayNameOf, type Redeemed, type Room, type User, userIdOf } from './types.js';
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
  showQuality,
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

// A live media session: a consultation room, or the room of a direct call (then `call` is
// the SDK's Call and `session` opens once it is answered).
interface MediaSession {
  kind: 'room' | 'call';
  roomId: string;
  callId?: string;
  call?: Call;
  session?: ConsultationSession;
}

// The browser's WebRTC, handed to the SDK (which reaches for no global itself).
const webrtc: WebRtc = {
  RTCPeerConnection: RTCPeerConnection,
  getUserMedia: (constraints) => navigator.mediaDevices.getUserMedia(constraints),
};
// Quality readings every 2 s (the SDK's default is 5 s): the indicator settles within seconds.
const STATS_INTERVAL_MS = 2000;

await initI18n();

const api = new Api();
const media = new LocalMedia();
const people = new People(api);
const consent = new ConsentStep(api, log);
const precheck = new PrecheckScreen(api, media, webrtc, () => signaling);
const clinic = new Clinic(api, people, {
  joinRoom: (roomId, appointmentId) => goToRoom(roomId, appointmentId),
  queueNext: () => requireSignaling().request('queue:next', {}),
  run: (what, action) => void run(what, action),
});
let signaling: SignalingClient | undefined;
let calls: CallClient | undefined;
let me: User | undefined;
let session: MediaSession | undefined;
let lastQuality: { level: QualityLevel; sample: QualitySample } | undefined;
// Set while the page is an invitation's guest (arrived by link, no account).
let visit: Redeemed | undefined;
let outgoing: { callId: string; roomId: string; calleeName: string } | undefined;
const incomingCalls = new Map<string, { call: Call; fromName: string }>();

// The call's clock: from the moment the other side is there (admitted, answered).
let startedAt: number | undefined;
let clock: number | undefined;
// Once a second: what each remote person is sending (the muted indicators on their tiles).
let mediaWatch: number | undefined;
let lastRooms: Room[] = [];

const chat = new ChatPanel(
  api,
  () => session?.session,
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
  return error instanceof HekimError && error.code === code;
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
  calls?.close();
  calls = undefined;
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
  requireSignaling();
  await startLocalMedia();
  setRoomStatus('joining');
  // One ConsultationSession per room visit: it joins, or knocks and waits to be admitted
  // (its state becomes `joined` then), and rejoins by itself after a signaling drop.
  const current = beginSession('room', roomId);
  const room = openSession(current, roomId);
  let state;
  try {
    state = await room.join();
  } catch (error) {
    endSession();
    setRoomStatus('idle');
    throw error;
  }
  sessionStorage.setItem(ACTIVE_ROOM_KEY, roomId);
  if (state === 'waiting') {
    setRoomStatus('waiting');
    setMode('waiting');
    log('waiting for the host to admit you');
    // The host may let waiting people chat; if not, the history says so in the log.
    void chat.open(roomId);
  }
}

// The session is in the room (joined, admitted, or an answered call): the live screen.
function entered(current: MediaSession, room: ConsultationSession): void {
  log(`joined room (${room.participants.length} participant(s))`);
  for (const participant of room.participants) {
    people.remember(participant.userId, { name: participant.displayName, role: participant.role });
  }
  if (current.kind === 'call') return;
  setRoomStatus('joined');
  setMode('live');
  startClock();
  void chat.open(current.roomId);
}

async function admit(roomId: string, userId: string): Promise<void> {
  await requireSignaling().request('room:admit', { roomId, userId });
  removeWaiting(userId);
  log('admitted a waiting participant');
}

// ---- Direct calls (the SDK's CallClient and Call) ----

async function startCall(calleeId: string): Promise<void> {
  const client = requireCalls();
  // One media session at a time: a consultation in progress is left properly first.
  if (session) await leave();
  await startLocalMedia();
  const calleeName = people.nameOf(calleeId);
  const call = await client.start([calleeId], 'video');
  const current = beginSession('call', call.roomId ?? '', call);
  outgoing = { callId: call.callId, roomId: current.roomId, calleeName };
  callUi.setStatus('ringing', { name: calleeName });
  setRoomStatus('calling');
  setMode('live');
  setText('call-title', t('call.status.ringing', { name: calleeName }));
  log('ringing…');
}

async function acceptCall(incoming: IncomingCall): Promise<void> {
  const ring = incomingCalls.get(incoming.callId);
  if (!ring) return;
  if (session) await leave();
  await startLocalMedia();
  // The session opens inside accept() (the ack carries the join answer); the caller's offer
  // may arrive right after, so the page's session is in place before.
  beginSession('call', ring.call.roomId ?? '', ring.call);
  await ring.call.accept();
  incomingCalls.delete(incoming.callId);
}

async function rejectCall(incoming: IncomingCall): Promise<void> {
  const ring = incomingCalls.get(incoming.callId);
  incomingCalls.delete(incoming.callId);
  callUi.setStatus('rejected', { byMe: true });
  await ring?.call.reject();
}

async function cancelCall(): Promise<void> {
  const call = session?.call;
  if (!outgoing || !call) return;
  outgoing = undefined;
  endSession();
  media.stop();
  showScreen('home');
  callUi.setStatus('cancelled', { byMe: true });
  await call.cancel();
}

// What the page shows as a call's state changes (the SDK's ringing state machine).
function callStateChanged(call: Call, state: CallState): void {
  const name =
    outgoing?.callId === call.callId
      ? outgoing.calleeName
      : incomingCalls.get(call.callId)?.fromName;
  switch (state.phase) {
    case 'active': {
      callUi.setStatus('active', { name });
      setRoomStatus('in call');
      setMode('live');
      setText('call-title', t('call.status.active', { name: name ?? t('call.someone') }));
      startClock();
      outgoing = undefined;
      break;
    }
    case 'answered-elsewhere':
      incomingCalls.delete(call.callId);
      callUi.setStatus('answered-elsewhere');
      break;
    case 'rejected':
    case 'cancelled':
    case 'missed':
    case 'ended':
      if (state.phase === 'missed') {
        const ring = incomingCalls.get(call.callId);
        if (ring) callUi.missed(ring.fromName);
      }
      finishCall(call.callId, state.phase, state.durationSeconds ?? undefined);
      break;
    case 'incoming':
    case 'outgoing':
      // Ringing: the dialog and the call screen show it already.
      break;
  }
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
  showQuality(undefined);
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

async function switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
  if (!deviceId || media.deviceIdOf(kind) === deviceId) return;
  try {
    const track = await media.switchDevice(kind, deviceId);
    // While the screen is shared the new camera waits: stopping the share sends it.
    if (!(kind === 'video' && media.sharing)) await session?.session?.replaceTrack(kind, track);
    log(`switched ${kind} device`);
  } catch (error) {
    log(`device switch failed: ${errorMessage(error)}`);
    notify(t('media.deviceFailed'));
  }
}

async function toggleShare(): Promise<void> {
  if (media.sharing) {
    const camera = media.stopScreenShare();
    if (camera) await session?.session?.replaceTrack('video', camera);
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
    await session?.session?.replaceTrack('video', track);
    byTestId<HTMLVideoElement>('local-video').srcObject = new MediaStream([track]);
  }
  updateMediaButtons(media);
}

// What every session of this page sends and how (the current camera and microphone).
function sessionOptions(): CallSessionOptions {
  const stream = media.current;
  return {
    webrtc,
    localTracks: stream?.getTracks().map((track) => ({ track, stream })) ?? [],
    // Relay-only forces media through TURN: what a patient behind a strict NAT gets anyway.
    iceTransportPolicy: byTestId<HTMLInputElement>('relay-only').checked ? 'relay' : 'all',
    statsIntervalMs: STATS_INTERVAL_MS,
  };
}

// Starts a media session (closing any previous one): a room's, or a call's.
function beginSession(kind: MediaSession['kind'], roomId: string, call?: Call): MediaSession {
  endSession();
  const current: MediaSession = { kind, roomId };
  if (call) {
    current.call = call;
    current.callId = call.callId;
    call.on('state', (state) => callStateChanged(call, state));
    // The call's session opens when it is answered (accept, or call:accepted).
    call.on('session', (opened) => {
      current.roomId = opened.roomId;
      wireSession(current, opened);
    });
    if (call.session) wireSession(current, call.session);
  }
  window.clearInterval(mediaWatch);
  mediaWatch = window.setInterval(() => void watchMedia(current), 1000);
  session = current;
  return current;
}

function openSession(current: MediaSession, roomId: string): ConsultationSession {
  const options: SessionOptions = { ...sessionOptions(), signaling: requireSignaling(), roomId };
  const opened = new ConsultationSession(options);
  wireSession(current, opened);
  return opened;
}

// Connects a ConsultationSession's events to the page.
function wireSession(current: MediaSession, room: ConsultationSession): void {
  current.session = room;
  const live = (): boolean => session === current;
  // Joining while muted: the new connections do not send what is off either.
  if (!media.audioEnabled) room.setSending('audio', false);
  if (!media.videoEnabled) room.setSending('video', false);
  room.on('state', ({ state, reason }) => {
    if (!live()) return;
    log(`session ${state}${reason ? ` (${reason})` : ''}`);
    if (state === 'joined') entered(current, room);
    else if (state === 'waiting' && current.kind === 'room') {
      setRoomStatus('waiting');
      setMode('waiting');
    }
  });
  room.on('participant-joined', (p) => {
    if (!live() || p.userId === me?.id) return;
    people.remember(p.userId, { name: p.displayName, role: p.role });
    labelRemote(p.userId, people.get(p.userId));
    log('a participant joined');
    notify(t('room.joined', { name: people.nameOf(p.userId) }));
  });
  room.on('participant-left', ({ userId }) => {
    if (!live()) return;
    removeRemote(userId);
    setConnectionState(firstPeer()?.connectionState ?? 'closed');
    log('a participant left');
    notify(t('room.left', { name: people.nameOf(userId) }));
  });
  room.on('track', ({ userId, track, streams }) => {
    if (!live()) return;
    const stream =
      (streams[0] as MediaStream | undefined) ?? new MediaStream([track as MediaStreamTrack]);
    showRemote(userId, stream, people.get(userId));
  });
  room.on('peer-state', ({ state }) => {
    if (!live()) return;
    setConnectionState(state);
    log(`peer connection: ${state}`);
  });
  room.on('quality', ({ level, sample }) => {
    if (!live()) return;
    lastQuality = { level, sample };
    showQuality(lastQuality);
  });
  room.on('chat-message', (message) => chat.onMessage(message));
  room.on('chat-typing', ({ userId }) => chat.onTyping({ roomId: room.roomId, userId }));
  room.on('chat-read', ({ userId, messageId }) =>
    chat.onRead({ roomId: room.roomId, userId, messageId }),
  );
  room.on('reconnected', ({ resumed }) => log(`back in the room (resumed: ${resumed})`));
  room.on('error', ({ error }) => log(`session error: ${errorMessage(error)}`));
  room.on('log', ({ message }) => log(message));
}

// Once a second: what each remote person is sending (the muted indicators on their tiles),
// and the frames decoded so far (the technical panel).
async function watchMedia(current: MediaSession): Promise<void> {
  const room = current.session;
  if (!room || session !== current) return;
  for (const participant of room.participants) {
    const sending = await room.remoteMedia(participant.userId).catch(() => undefined);
    if (sending) showRemoteMedia(participant.userId, sending);
  }
  const pc = firstPeer();
  if (!pc || pc.connectionState !== 'connected') return;
  const report = await pc.getStats();
  let frames = 0;
  report.forEach((entry: { type: string; kind?: string; framesDecoded?: number }) => {
    if (entry.type === 'inbound-rtp' && entry.kind === 'video') frames += entry.framesDecoded ?? 0;
  });
  setText('frames-decoded', String(frames));
}

// The peer connection to the first other participant (the debug handle, the state line).
function firstPeer(): RTCPeerConnection | undefined {
  return peerConnections()[0];
}

function peerConnections(): RTCPeerConnection[] {
  const room = session?.session;
  if (!room) return [];
  return room.participants
    .map((p) => room.peer(p.userId)?.pc as RTCPeerConnection | undefined)
    .filter((pc): pc is RTCPeerConnection => pc !== undefined);
}

// Closes every peer connection of the current session (the local camera stays on).
function endSession(): void {
  const current = session;
  if (!current) return;
  session = undefined;
  window.clearInterval(mediaWatch);
  mediaWatch = undefined;
  current.session?.end('closed by the page');
  clearRemotes();
  setConnectionState('closed');
  showQuality(undefined);
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
  } else if (current.call) {
    if (wasLive) showEnded('call', 'left', seconds);
    else showScreen('home');
    if (outgoing?.callId === current.call.callId && current.call.state.phase === 'outgoing') {
      outgoing = undefined;
      await current.call.cancel();
    } else {
      await current.call.hangUp();
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

// ---- Signaling events ----

function connectSignaling(): void {
  if (!api.accessToken || signaling) return;
  // The token is asked at every (re)connection: a reconnect presents the current one.
  const channel = new SignalingClient({ url: location.origin, token: () => api.accessToken ?? '' });
  signaling = channel;
  calls = new CallClient(channel, sessionOptions);
  let everConnected = false;

  channel.on('connection', ({ state, reason }) => {
    if (state === 'connected') {
      setSignalingState('connected');
      log('signaling connected');
      // A reload lands here with the room it was in (sessionStorage): join again within the
      // grace. Later reconnects are the session's own business (it rejoins by itself).
      const resume = everConnected ? undefined : sessionStorage.getItem(ACTIVE_ROOM_KEY);
      everConnected = true;
      if (resume && !session) void run('rejoin', () => joinRoom(resume));
    } else if (state === 'reconnecting' || state === 'closed') {
      // A sign-out closes on purpose; anything else is a lost connection.
      if (signaling === channel) setSignalingState('reconnecting');
      log(`signaling disconnected: ${reason ?? state}`);
    }
  });
  // A refused or failed handshake (UNAUTHORIZED when the server refused the token; a
  // transport error when unreachable): the banner says so until a retry succeeds.
  channel.socket.on('connect_error', (error: Error) => {
    setSignalingState('failed');
    log(`signaling connect failed: ${error.message}`);
  });
  channel.connect().catch((error: unknown) => log(`signaling: ${errorMessage(error)}`));

  channel.listen('auth:expired', () => {
    log('signaling token expired; refreshing');
    void run('refresh', async () => {
      await api.refresh();
      if (!channel.connected) channel.socket.connect();
    });
  });
  channel.listen('ice:servers', (payload) => log(`fresh ICE servers until ${payload.expiresAt}`));
  channel.listen('room:waiting', (p) => {
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
  channel.listen('queue:update', (p) => {
    const position = byTestId('queue-position');
    position.dataset.position = String(p.position);
    position.dataset.minutes = String(p.estimatedWaitMinutes);
    renderQueuePosition();
  });
  // The clinician's queue changed: the doctor's day shows it as it is now.
  channel.listen('queue:changed', () => {
    if (me?.role !== 'doctor') return;
    void run('queue', () => clinic.refresh());
    // A booking begins a care relationship: a new patient to call by name.
    void run('contacts', loadContacts);
  });
  // The session attaches itself (ConsultationSession); the page says so.
  channel.listen('room:admitted', () => {
    log('admitted by the host');
    notify(t('room.admitted'));
    setText('queue-position', '');
    delete byTestId('queue-position').dataset.position;
  });
  channel.listen('room:replaced', (p) => {
    if (session?.roomId !== p.roomId) return;
    sessionOver('replaced');
    log('joined from another device; this page left the room');
  });
  channel.listen('room:session-ended', (p) => {
    if (session?.roomId !== p.roomId || session.kind !== 'room') return;
    sessionOver('ended');
    log(`consultation ended: ${p.reason}`);
  });
  // Taken out of the room (by its host, or consent withdrawn): leave it and forget it.
  channel.listen('room:removed', (p) => {
    if (session?.roomId === p.roomId) sessionOver('removed');
    log(`removed from a room: ${p.reason}`);
    void run('rooms', loadRooms);
  });
  // The instance is shutting down; the SDK reconnects (to another one) and the session rejoins.
  channel.listen('server:draining', () => log('server draining; reconnecting'));

  calls.on('incoming', (call) => {
    // call:incoming names the caller by id; the callee may read the record of someone they
    // are in care with (the only people who may ring them), so the dialog shows a name.
    void run('incoming call', async () => {
      const fromId = call.incoming?.from ?? '';
      const fromName = (await people.lookUp(fromId))?.name ?? t('call.someone');
      incomingCalls.set(call.callId, { call, fromName });
      call.on('state', (state) => {
        // Until it is answered here, the call is only a ringing dialog.
        if (session?.callId !== call.callId) callStateChanged(call, state);
      });
      callUi.ring({ callId: call.callId, fromName, type: call.incoming?.type ?? 'video' });
      log('incoming call');
    });
  });
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
  if (!quality.hidden && lastQuality) showQuality(lastQuality);
}

function requireSignaling(): SignalingClient {
  if (!signaling) throw new Error('not connected to signaling');
  return signaling;
}

function requireCalls(): CallClient {
  if (!calls) throw new Error('not connected to signaling');
  return calls;
}

// ---- Debugging handle for tests and curious developers (read-only) ----

const debugHandle = Object.freeze({
  get pc(): RTCPeerConnection | undefined {
    return firstPeer();
  },
  get peerConnections(): RTCPeerConnection[] {
    return peerConnections();
  },
  get state() {
    return {
      user: me ? { id: me.id, role: me.role } : undefined,
      signalingConnected: signaling?.connected ?? false,
      session: session
        ? { kind: session.kind, roomId: session.roomId, callId: session.callId }
        : undefined,
      connectionState: firstPeer()?.connectionState,
      audioEnabled: media.audioEnabled,
      videoEnabled: media.videoEnabled,
      quality: lastQuality,
    };
  },
  // Drops the signaling transport as a network failure would; Socket.IO then reconnects.
  dropSignaling(): void {
    signaling?.socket.io.engine.close();
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
    session?.session?.setSending('audio', on);
    updateMediaButtons(media);
  });
  byTestId('toggle-video').addEventListener('click', () => {
    const on = !media.videoEnabled;
    media.setVideoEnabled(on);
    session?.session?.setSending('video', on);
    updateMediaButtons(media);
  });
  // ?relay=1 preselects relay-only, handy for trying TURN from a bookmark.
  byTestId<HTMLInputElement>('relay-only').checked =
    new URLSearchParams(location.search).get('relay') === '1';
  api.onTokenChange((token) => {
    // Hands the refreshed token to the open socket (auth:refresh) before the old one expires;
    // a reconnect asks for the current token by itself.
    if (token && signaling?.connected) void signaling.refreshToken(token).catch(() => undefined);
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
