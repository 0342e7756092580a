// Camera and microphone.
//
// Mute and video-off flip `track.enabled` instead of removing tracks: a disabled track sends
// silence or black frames, so nothing is renegotiated and turning it back on is instant. The
// camera light stays on while the track lives; an app that must turn it off would stop the
// track and later replaceTrack() a new one on the same sender (again without renegotiation).

export class LocalMedia {
  private stream: MediaStream | undefined;

  get current(): MediaStream | undefined {
    return this.stream;
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

  stop(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
  }
}
