import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from 'src/common/clock';
import { tokensConfig } from 'src/config/tokens.config';
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from './access-token';
import { signJws } from './jws-signer';
import { SigningKeysService } from './signing-keys.service';

export interface AccessTokenSubject {
  userId: string;
  username: string;
  roles: string[];
  tokenVersion: number;
  /** Signed as `email_verified` when AUTH_EMAIL_VERIFICATION is not off. */
  emailVerified: boolean;
  sessionId: string;
  /** The session's absolute end: no access token outlives its session. */
  sessionExpiresAt: Date;
  /** The session's sign-in methods and time (RFC 8176 `amr`, `auth_time`). */
  amr: string[];
  authTime: Date;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
  claims: AccessTokenClaims;
}

/** Signs access tokens with the active key; AccessTokenVerifier is the one place that verifies them. */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
    @Inject(tokensConfig.KEY)
    private readonly config: ConfigType<typeof tokensConfig>,
  ) {}

  get ttlSeconds(): number {
    return this.config.accessTtlSeconds;
  }

  sign(subject: AccessTokenSubject): IssuedAccessToken {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const exp = Math.min(
      iat + this.config.accessTtlSeconds,
      Math.floor(subject.sessionExpiresAt.getTime() / 1000),
    );
    const claims: AccessTokenClaims = {
      iss: this.config.issuer,
      aud: this.config.audience,
      sub: subject.userId,
      sid: subject.sessionId,
      jti: randomUUID(),
      iat,
      exp,
      username: subject.username,
      roles: subject.roles,
      token_version: subject.tokenVersion,
      amr: subject.amr,
      auth_time: Math.floor(subject.authTime.getTime() / 1000),
      ...(this.config.emailVerifiedClaim && {
        email_verified: subject.emailVerified,
      }),
    };
    const key = this.keys.currentKey();
    const token = signJws(
      { alg: key.alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid },
      claims,
      key.signingKey,
    );
    return {
      token,
      expiresIn: Math.max(0, exp - iat),
      claims,
    };
  }
}
