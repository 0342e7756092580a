// Arriving by an invitation link (docs/appointments.md, "Invitations"): `?invitation=<token>`
// opens the page; the token is redeemed for a guest grant scoped to the appointment's room,
// bound to this browser by the device secret the first redeem answers. The page keeps both in
// sessionStorage, so a reload (or an expired grant) redeems again on the same device.
import type { Api } from './api.js';
import type { Redeemed } from './types.js';

const KEY = 'hekim-demo.invitation';

interface StoredInvitation {
  token: string;
  deviceSecret?: string;
}

// The link's token, taken out of the address bar (it is a credential: it should not stay in
// the history or be shared by copying the address), or the one this tab arrived with.
export function invitationOfPage(): string | undefined {
  const url = new URL(location.href);
  const token = url.searchParams.get('invitation');
  if (token) {
    url.searchParams.delete('invitation');
    history.replaceState(null, '', url.toString());
    const stored = read();
    write({ token, deviceSecret: stored?.token === token ? stored.deviceSecret : undefined });
    return token;
  }
  return read()?.token;
}

export function forgetInvitation(): void {
  sessionStorage.removeItem(KEY);
}

// Redeems the link and signs the page in with the grant; later grants come the same way.
export async function arriveByLink(api: Api, token: string): Promise<Redeemed> {
  const redeem = async (): Promise<Redeemed> => {
    const answer = await api.redeem(token, read()?.deviceSecret);
    if (answer.deviceSecret) write({ token, deviceSecret: answer.deviceSecret });
    return answer;
  };
  const first = await redeem();
  api.useGrant(first, redeem);
  return first;
}

function read(): StoredInvitation | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as StoredInvitation) : undefined;
  } catch {
    return undefined;
  }
}

function write(invitation: StoredInvitation): void {
  sessionStorage.setItem(KEY, JSON.stringify(invitation));
}
