// Camera, microphone and screen share.
//
// Mute and video-off flip `track.enabled`: a disabled track sends silence or black frames
// at once. media-control.ts also stops sending it (the transceiver's direction), so the other
// side sees the track muted and shows it. Device changes and screen share swap the outgoing
// track with replaceTrack(): no renegotiation.

export class LocalMedia {
  private stream: MediaStream | undefined;
  private screen: MediaStreamTrack | undefined;

  get current(): MediaStream | undefined {
    return this.stream;
  }

  get sharing(): boolean {
    return this.screen !== undefined;
  }

  async start(video = true): Promise<MediaStream> {
    this.stream ??= await navigator.mediaDevices.getUserMedia({ audio: true, video });
    return this.stream;
  }

  get audioEnabled(): boolean {
    return this.stream?.getAudioTracks().some((t) => t.enabled) ?? false;
  }

  get videoEnabled(): boolean {
    return this.stream?.getVideoTracks().some((t) => t.enabled) ?? false;
  }

  setAudioEnabled(enabled: boolean): void {
    for (const track of this.stream?.getAudioTracks() ?? []) track.enabled = enabled;
  }

  setVideoEnabled(enabled: boolean): void {
    for (const track of this.stream?.getVideoTracks() ?? []) track.enabled = enabled;
  }

  // The device in use for a kind, and the choices (labels are known once access is granted).
  deviceIdOf(kind: 'audio' | 'video'): string | undefined {
    const track = this.stream?.getTracks().find((t) => t.kind === kind);
    return track?.getSettings().deviceId;
  }

  async devices(kind: 'audioinput' | 'videoinput'): Promise<MediaDeviceInfo[]> {
    const all = await navigator.mediaDevices.enumerateDevices();
    return all.filter((d) => d.kind === kind);
  }

  // Opens another camera or microphone and puts it in place of the current one; returns the
  // new track for the senders (the old one is stopped). Keeps the track's enabled state.
  async switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<MediaStreamTrack> {
    const stream = this.stream;
    if (!stream) throw new Error('no local media');
    const constraint = { deviceId: { exact: deviceId } };
    const fresh = await navigator.mediaDevices.getUserMedia(
      kind === 'audio' ? { audio: constraint } : { video: constraint },
    );
    const track = fresh.getTracks()[0];
    if (!track) throw new Error('no track from the device');
    for (const old of stream.getTracks().filter((t) => t.kind === kind)) {
      track.enabled = old.enabled;
      stream.removeTrack(old);
      old.stop();
    }
    stream.addTrack(track);
    return track;
  }

  // Screen share: a display track to send instead of the camera's (undefined: refused).
  async startScreenShare(onEnded: () => void): Promise<MediaStreamTrack> {
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    if (!track) throw new Error('no screen track');
    track.addEventListener('ended', onEnded);
    this.screen = track;
    return track;
  }

  // Back to the camera: returns the camera's track for the senders.
  stopScreenShare(): MediaStreamTrack | undefined {
    this.screen?.stop();
    this.screen = undefined;
    return this.stream?.getVideoTracks()[0];
  }

  stop(): void {
    this.stopScreenShare();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
  }
}
