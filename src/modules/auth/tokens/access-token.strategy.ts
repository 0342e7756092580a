import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../../config/app-config';
import {
  ACCESS_TOKEN_ALGORITHM,
  AccessTokenVerifier,
  type VerifiedAccess,
} from './access-token.service';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

// How HTTP routes authenticate (docs/auth.md, "Tokens"): passport-jwt takes the bearer token
// and checks its signature, algorithm (HS256 only), issuer, audience and lifetime, the same
// checks AccessTokenVerifier.verify makes for the Socket.IO handshake; `validate` then admits
// the bearer as they stand now (session not ended, current role). The global AuthGuard runs
// this strategy on every route that is not public.
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, ACCESS_TOKEN_STRATEGY) {
  constructor(
    config: AppConfig,
    private readonly verifier: AccessTokenVerifier,
  ) {
    // A key object, built once: given text or bytes, the JWT library would first try to read
    // them as a PEM key on every verification (see AuthModule's JwtModule). Its typings name
    // only text and bytes; it takes key objects as they are.
    const key = createSecretKey(Buffer.from(config.auth.jwtSecret, 'utf8')) as unknown as Buffer;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_req: unknown, _token: unknown, done) => done(null, key),
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: config.auth.jwtIssuer,
      audience: config.auth.jwtAudience,
      jsonWebTokenOptions: { clockTolerance: 5 },
    });
  }

  validate(claims: Record<string, unknown>): Promise<VerifiedAccess> {
    return this.verifier.admit(claims);
  }
}
