// What the call screen and the room list show: rooms and invitations, the host's waiting
// list, one tile per person (video, name, role, muted badges), the status chip and the
// quality indicator. Plain DOM, every text through textContent; clicks go back to main.ts.
import { t } from './i18n.js';
import type { LocalMedia } from './media.js';
import { roleLabel, type Person } from './people.js';
import type { QualityLevel, QualitySample } from '../../packages/client/src/index.js';
import type { Room } from './types.js';
import { button, byTestId, element, errorMessage, log, setText, show } from './view.js';

export interface RoomActions {
  join: () => void;
  accept: () => void;
  decline: () => void;
}

// One of my rooms: Enter it, or, while I am only invited to it, Accept or Decline.
export function roomItem(room: Room, myId: string, actions: RoomActions): HTMLLIElement {
  const item = document.createElement('li');
  const invited = room.members.some((m) => m.userId === myId && m.status === 'invited');
  item.dataset.testid = 'room-item';
  item.dataset.roomId = room.id;
  item.dataset.status = invited ? 'invited' : 'active';
  const what = element(
    'span',
    invited ? t('home.invitation', { name: room.name }) : t('home.roomLine', { name: room.name }),
    'what',
  );
  if (room.waitingRoom) what.append(' ', element('small', `(${t('home.withWaitingRoom')})`));
  item.append(what);
  if (invited)
    item.append(
      button('room-accept', t('home.accept'), actions.accept, 'ok'),
      button('room-decline', t('home.decline'), actions.decline, 'secondary'),
    );
  else item.append(button('room-join', t('home.join'), actions.join));
  return item;
}

// Someone knocked on a waiting room we host.
export function showWaiting(userId: string, name: string, onAdmit: () => void): void {
  const list = byTestId('waiting-list');
  list.querySelector(`[data-user-id="${CSS.escape(userId)}"]`)?.remove();
  const item = document.createElement('li');
  item.dataset.testid = 'waiting-item';
  item.dataset.userId = userId;
  item.append(
    element('span', t('room.knocking', { name })),
    button('admit', t('room.admit'), onAdmit, 'ok'),
  );
  list.append(item);
}

export function removeWaiting(userId: string): void {
  document
    .querySelector(`[data-testid="waiting-item"][data-user-id="${CSS.escape(userId)}"]`)
    ?.remove();
}

function tileOf(userId: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(
    `[data-testid="remote-tile"][data-user-id="${CSS.escape(userId)}"]`,
  );
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter((w) => w && !/^dr\.?$/i.test(w))
    .slice(0, 2)
    .map((w) => w[0]?.toLocaleUpperCase() ?? '')
    .join('');
}

// A tile per remote person: their video, or their initials while their camera is off; their
// name and role; a badge while their microphone is off (showRemoteMedia).
export function showRemote(userId: string, stream: MediaStream, person: Person | undefined): void {
  let tile = tileOf(userId);
  if (!tile) {
    tile = element('figure', undefined, 'tile');
    tile.dataset.testid = 'remote-tile';
    tile.dataset.userId = userId;
    tile.dataset.videoOff = 'true';
    const video = element('video');
    video.dataset.testid = 'remote-video';
    video.dataset.userId = userId;
    video.autoplay = true;
    video.playsInline = true;
    const avatar = element('div', '', 'avatar');
    avatar.setAttribute('aria-hidden', 'true');
    const caption = element('figcaption', undefined, 'nameplate');
    const name = element('span', '', 'tile-name');
    name.dataset.testid = 'tile-name';
    const role = element('span', '', 'tile-role');
    role.dataset.testid = 'tile-role';
    const micOff = element('span', t('media.muted'), 'badge');
    micOff.dataset.testid = 'remote-muted';
    micOff.hidden = true;
    const camOff = element('span', t('media.cameraIsOff'), 'badge');
    camOff.dataset.testid = 'remote-camera-off';
    camOff.hidden = true;
    caption.append(name, role, micOff, camOff);
    tile.append(video, avatar, caption);
    byTestId('remote-videos').append(tile);
  }
  labelRemote(userId, person);
  const video = tile.querySelector('video') as HTMLVideoElement;
  if (video.srcObject !== stream) video.srcObject = stream;
  // Autoplay with sound needs a user gesture; without one, play muted rather than not at all.
  video.play().catch(() => {
    video.muted = true;
    return video.play().catch((error: unknown) => log(`remote video: ${errorMessage(error)}`));
  });
}

export function labelRemote(userId: string, person: Person | undefined): void {
  const tile = tileOf(userId);
  if (!tile) return;
  const name = person?.name ?? t('call.someone');
  (tile.querySelector('[data-testid="tile-name"]') as HTMLElement).textContent = name;
  (tile.querySelector('[data-testid="tile-role"]') as HTMLElement).textContent = roleLabel(
    person?.role,
  );
  (tile.querySelector('.avatar') as HTMLElement).textContent = initials(name);
  tile.setAttribute('aria-label', name);
}

// What the other side sends (the SDK's ConsultationSession.remoteMedia): a badge while their microphone is
// off, their initials instead of the picture while their camera is off.
export function showRemoteMedia(userId: string, media: { audio: boolean; video: boolean }): void {
  const tile = tileOf(userId);
  if (!tile) return;
  tile.dataset.audioOff = String(!media.audio);
  tile.dataset.videoOff = String(!media.video);
  (tile.querySelector('[data-testid="remote-muted"]') as HTMLElement).hidden = media.audio;
  (tile.querySelector('[data-testid="remote-camera-off"]') as HTMLElement).hidden = media.video;
}

export function removeRemote(userId: string): void {
  tileOf(userId)?.remove();
}

export function clearRemotes(): void {
  byTestId('remote-videos').replaceChildren();
}

export function setRoomStatus(status: string): void {
  const el = byTestId('room-status');
  el.dataset.status = status;
  el.textContent = t(`room.status.${status}`, { defaultValue: '' });
}

export function setConnectionState(state: string): void {
  setText('connection-state', state);
}

// The quality indicator: the SDK's level (good / fair / poor, docs/sdk.md "Quality level")
// in words instead of raw figures; the figures stay in the indicator's tooltip for support.
export function showQuality(
  quality: { level: QualityLevel; sample: QualitySample } | undefined,
): void {
  const el = byTestId('quality');
  if (!quality) {
    el.dataset.level = 'unknown';
    el.hidden = true;
    return;
  }
  const { level, sample } = quality;
  const figure = (value: number | undefined): string => (value === undefined ? '?' : String(value));
  el.dataset.level = level;
  el.dataset.rttMs = figure(sample.rttMs);
  el.dataset.lossPct = figure(sample.packetLossPct);
  el.dataset.jitterMs = figure(sample.jitterMs);
  el.textContent = `${t('media.quality.label')}: ${t(`media.quality.${level}`)}`;
  el.title = `RTT ${figure(sample.rttMs)} ms, loss ${figure(sample.packetLossPct)} %, jitter ${figure(sample.jitterMs)} ms`;
  el.hidden = false;
}

export function updateMediaButtons(media: LocalMedia): void {
  const mute = byTestId('mute-audio');
  mute.textContent = media.audioEnabled ? t('media.mute') : t('media.unmute');
  mute.setAttribute('aria-pressed', String(!media.audioEnabled));
  const video = byTestId('toggle-video');
  video.textContent = media.videoEnabled ? t('media.cameraOff') : t('media.cameraOn');
  video.setAttribute('aria-pressed', String(!media.videoEnabled));
  const share = byTestId('share-screen');
  share.textContent = media.sharing ? t('media.stopShare') : t('media.share');
  share.setAttribute('aria-pressed', String(media.sharing));
  show('local-muted', !media.audioEnabled && media.current !== undefined);
}
