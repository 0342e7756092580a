import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { KeyValueStore } from '../../../infra/redis/key-value.store';

// Revoked device sessions, shared by every instance through the KeyValueStore (Redis in
// server mode), so an access token of a revoked session fails on the very next request
// anywhere. An entry only needs to outlive the longest-lived access token of that session.
@Injectable()
export class SessionRevocationStore {
  constructor(
    private readonly store: KeyValueStore,
    private readonly config: AppConfig,
  ) {}

  private key(sessionId: string): string {
    return `auth:revoked-session:${sessionId}`;
  }

  async revoke(sessionIds: readonly string[]): Promise<void> {
    // A minute of slack covers clock skew between instances.
    const ttl = this.config.auth.accessTokenTtlSeconds + 60;
    await Promise.all(sessionIds.map((id) => this.store.set(this.key(id), '1', ttl)));
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    return (await this.store.get(this.key(sessionId))) !== null;
  }
}
