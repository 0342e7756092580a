// The peer connections of one room: one Peer per remote participant, and the routing of
// relayed signals (call:offer, call:answer, call:ice-candidate) to the right one.
import { isNewRemoteSession } from './negotiation.js';
import type { Peer } from './peer.js';

export type Signal =
  { kind: 'offer' | 'answer'; sdp: string } | { kind: 'candidate'; candidate: RTCIceCandidateInit };

export class PeerGroup {
  private readonly peers = new Map<string, Peer>();

  constructor(
    // Our role towards a peer whose first signal reaches us before we knew about it.
    private readonly defaultPolite: boolean,
    private readonly create: (userId: string, polite: boolean) => Peer,
    private readonly onRemoved: (userId: string) => void,
  ) {}

  get size(): number {
    return this.peers.size;
  }

  get first(): Peer | undefined {
    return this.peers.values().next().value;
  }

  all(): Peer[] {
    return [...this.peers.values()];
  }

  ensure(userId: string, polite = this.defaultPolite): Peer {
    let peer = this.peers.get(userId);
    if (!peer) {
      peer = this.create(userId, polite);
      this.peers.set(userId, peer);
    }
    return peer;
  }

  remove(userId: string): void {
    const peer = this.peers.get(userId);
    if (!peer) return;
    peer.close();
    this.peers.delete(userId);
    this.onRemoved(userId);
  }

  // Starts over with a fresh peer connection to this user, in the same role.
  replace(userId: string): void {
    const polite = this.peers.get(userId)?.polite;
    if (polite === undefined) return;
    this.remove(userId);
    this.ensure(userId, polite);
  }

  closeAll(): void {
    for (const userId of [...this.peers.keys()]) this.remove(userId);
  }

  async receive(from: string, signal: Signal): Promise<void> {
    const existing = this.peers.get(from);
    // The sender reloaded or rejoined: its offer comes from a new peer connection, which our
    // old one can never talk to. Start over with a fresh one in the same role.
    if (
      existing &&
      signal.kind === 'offer' &&
      isNewRemoteSession(existing.remoteSessionId, signal.sdp)
    ) {
      this.remove(from);
    }
    const peer = this.ensure(from, existing?.polite);
    if (signal.kind === 'candidate') await peer.handleCandidate(signal.candidate);
    else await peer.handleDescription(signal.kind, signal.sdp);
  }
}
