import { createHmac } from 'node:crypto';

export interface TurnCredentials {
  username: string;
  credential: string;
  expiresAt: Date;
}

// The TURN REST convention coturn checks with --use-auth-secret: the username carries its own
// expiry, the credential is base64(HMAC-SHA1(static-auth-secret, username)). coturn refuses
// the pair once the expiry has passed or if either half was altered.
export function turnCredentials(
  secret: string,
  userId: string,
  ttlSeconds: number,
  now: Date = new Date(),
): TurnCredentials {
  const expiry = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const username = `${expiry}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: new Date(expiry * 1000) };
}
