// What the page shows about rooms and media: room list, waiting list, remote videos, status
// lines and the quality readout. Plain DOM; clicks are handed back to main.ts.
import type { LocalMedia } from './media.js';
import type { QualitySample } from './stats-math.js';
import type { Room } from './types.js';
import { byTestId, errorMessage, log, setText, show } from './view.js';

export interface RoomActions {
  join: () => void;
  accept: () => void;
  decline: () => void;
}

// One of my rooms: Join it, or, while I am only invited to it, Accept or Decline.
export function roomItem(room: Room, myId: string, actions: RoomActions): HTMLLIElement {
  const item = document.createElement('li');
  const invited = room.members.some((m) => m.userId === myId && m.status === 'invited');
  item.dataset.testid = 'room-item';
  item.dataset.roomId = room.id;
  item.dataset.status = invited ? 'invited' : 'active';
  const kind = `${room.type}${room.waitingRoom ? ', waiting room' : ''}`;
  item.textContent = invited ? `Invitation: ${room.name} (${kind}) ` : `${room.name} (${kind}) `;
  if (invited)
    item.append(
      button('room-accept', 'Accept', actions.accept),
      button('room-decline', 'Decline', actions.decline),
    );
  else item.append(button('room-join', 'Join', actions.join));
  return item;
}

// Someone knocked on a waiting room we host.
export function showWaiting(userId: string, name: string, onAdmit: () => void): void {
  const list = byTestId('waiting-list');
  list.querySelector(`[data-user-id="${userId}"]`)?.remove();
  const item = document.createElement('li');
  item.dataset.testid = 'waiting-item';
  item.dataset.userId = userId;
  item.textContent = `${name} is waiting `;
  item.append(button('admit', 'Admit', onAdmit));
  list.append(item);
  show('media-panel', true);
}

export function removeWaiting(userId: string): void {
  document.querySelector(`[data-testid="waiting-item"][data-user-id="${userId}"]`)?.remove();
}

// One <video> per remote participant, fed by the tracks of their peer connection.
export function showRemote(userId: string, stream: MediaStream): void {
  let video = document.querySelector<HTMLVideoElement>(
    `[data-testid="remote-video"][data-user-id="${userId}"]`,
  );
  if (!video) {
    video = document.createElement('video');
    video.dataset.testid = 'remote-video';
    video.dataset.userId = userId;
    video.autoplay = true;
    video.playsInline = true;
    byTestId('remote-videos').append(video);
  }
  if (video.srcObject !== stream) video.srcObject = stream;
  const element = video;
  // Autoplay with sound needs a user gesture; without one, play muted rather than not at all.
  element.play().catch(() => {
    element.muted = true;
    return element.play().catch((error: unknown) => log(`remote video: ${errorMessage(error)}`));
  });
}

export function removeRemote(userId: string): void {
  document.querySelector(`[data-testid="remote-video"][data-user-id="${userId}"]`)?.remove();
}

export function setRoomStatus(status: string): void {
  const el = byTestId('room-status');
  el.dataset.status = status;
  el.textContent = status;
  show('media-panel', true);
}

export function setConnectionState(state: RTCPeerConnectionState): void {
  setText('connection-state', state);
}

export function showSample(sample: QualitySample): void {
  setText('frames-decoded', String(sample.framesDecoded));
  setText('stats-rtt', String(sample.rttMs));
  setText('stats-jitter', String(sample.jitterMs));
  setText('stats-loss', String(sample.packetLossPct));
  setText('stats-bitrate', String(sample.bitrateKbps));
  setText(
    'stats-candidates',
    `${sample.localCandidateType ?? '?'} / ${sample.remoteCandidateType ?? '?'}`,
  );
}

export function updateMediaButtons(media: LocalMedia): void {
  const mute = byTestId('mute-audio');
  mute.textContent = media.audioEnabled ? 'Mute' : 'Unmute';
  mute.setAttribute('aria-pressed', String(!media.audioEnabled));
  const video = byTestId('toggle-video');
  video.textContent = media.videoEnabled ? 'Video off' : 'Video on';
  video.setAttribute('aria-pressed', String(!media.videoEnabled));
}

export function button(testId: string, label: string, onClick: () => void): HTMLButtonElement {
  const el = document.createElement('button');
  el.type = 'button';
  el.dataset.testid = testId;
  el.textContent = label;
  el.onclick = onClick;
  return el;
}
