// Compiled with the DOM library (packages/client/tsconfig.json) and never run: a browser's
// WebRTC objects must fit the shapes the SDK asks for in src/webrtc.ts.
import type { WebRtc } from '../src/webrtc.js';

export const browser: WebRtc = {
  RTCPeerConnection,
  getUserMedia: (constraints) => navigator.mediaDevices.getUserMedia(constraints),
};
