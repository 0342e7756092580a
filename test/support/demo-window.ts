// What the tests read inside the demo page. The server's TypeScript program has no DOM types
// (on purpose), so the few browser shapes the tests touch are declared here; code passed to
// page.evaluate() reaches them through `globalThis as unknown as DemoWindow`.

export interface StatsEntryLike {
  id: string;
  type: string;
  [field: string]: unknown;
}

export interface PeerConnectionLike {
  connectionState: string;
  getStats(): Promise<{ forEach(callback: (entry: StatsEntryLike) => void): void }>;
  close(): void;
}

export interface DemoWindow {
  hekimDemo?: {
    pc: PeerConnectionLike | undefined;
    peerConnections: PeerConnectionLike[];
    state: Record<string, unknown>;
    dropSignaling(): void;
  };
  sessionStorage: { getItem(key: string): string | null };
}
