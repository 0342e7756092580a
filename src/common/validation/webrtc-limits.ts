// A real SDP offer is a few KiB: anything bigger is refused before it is relayed or stored.
// Shared by the REST calls API and the signaling events.
export const MAX_SDP_LENGTH = 32 * 1024;
