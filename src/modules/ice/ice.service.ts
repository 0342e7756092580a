import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../../infra/metrics/metrics.service';
import type { IceServerDto, IceServersResponse } from './dto/ice-servers.response';
import { turnCredentials } from './turn-credentials';

// The STUN/TURN list a client needs to start WebRTC, with TURN credentials bound to that
// client's own user id (never another user's) and limited to turnTtlSeconds (at most 1 h).
@Injectable()
export class IceService {
  private readonly issued: Counter;

  constructor(
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.issued = metrics.counter(
      'hekim_turn_credentials_issued_total',
      'TURN credentials handed out (REST, signaling join, call and refresh answers)',
    );
  }

  get ttlSeconds(): number {
    return this.config.ice.turnTtlSeconds;
  }

  forUser(userId: string, now: Date = new Date()): IceServersResponse {
    const { stunUrls, turnUrls, turnSecret, turnTtlSeconds } = this.config.ice;
    const iceServers: IceServerDto[] = [];
    if (stunUrls.length > 0) iceServers.push({ urls: [...stunUrls] });
    const creds = turnCredentials(turnSecret, userId, turnTtlSeconds, now);
    if (turnUrls.length > 0) {
      this.issued.inc();
      iceServers.push({
        urls: [...turnUrls],
        username: creds.username,
        credential: creds.credential,
      });
    }
    return { iceServers, ttlSeconds: turnTtlSeconds, expiresAt: creds.expiresAt.toISOString() };
  }
}
