import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { decode, type Jwt, type VerifyOptions } from 'jsonwebtoken';
import { Clock } from 'src/common/clock';
import { authConfig } from 'src/config/auth.config';
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from './access-token';
import type { SigningKey } from './signing-key';
import { SigningKeysService } from './signing-keys.service';

export interface AccessTokenSubject {
  userId: string;
  username: string;
  roles: string[];
  tokenVersion: number;
  sessionId: string;
  /** The session's absolute end: no access token outlives its session. */
  sessionExpiresAt: Date;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
  claims: AccessTokenClaims;
}

@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
    @Inject(authConfig.KEY)
    private readonly config: ConfigType<typeof authConfig>,
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
    };
    const key = this.keys.currentKey();
    const token = this.jwt.sign(claims, {
      privateKey: key.signingKey,
      algorithm: key.alg,
      keyid: key.kid,
      header: { alg: key.alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid },
    });
    return {
      token,
      expiresIn: Math.max(0, exp - iat),
      claims,
    };
  }

  /** Options every verification uses: one algorithm per key, issuer, audience, small clock tolerance. */
  verifyOptions(key: SigningKey): VerifyOptions & { complete: true } {
    return {
      algorithms: [key.alg],
      issuer: this.config.issuer,
      audience: this.config.audience,
      clockTolerance: this.config.clockToleranceSeconds,
      clockTimestamp: this.clock.nowSeconds(),
      complete: true,
    };
  }

  /** The verification key for a raw token, chosen by its `kid` and pinned to that key's algorithm. */
  keyFor(rawToken: string): SigningKey | undefined {
    const decoded = decode(rawToken, { complete: true });
    if (!decoded || typeof decoded.header !== 'object') return undefined;
    const key = this.keys.findKey(decoded.header.kid);
    if (!key || decoded.header.alg !== key.alg) return undefined;
    return key;
  }

  /** Full verification outside the request guard (revocation and introspection endpoints). */
  verify(rawToken: string): AccessTokenClaims | undefined {
    const key = this.keyFor(rawToken);
    if (!key) return undefined;
    try {
      const decoded = this.jwt.verify<Jwt>(rawToken, {
        ...this.verifyOptions(key),
        publicKey: key.verificationKey,
      } as never);
      if (decoded.header.typ !== ACCESS_TOKEN_TYPE) return undefined;
      return decoded.payload as unknown as AccessTokenClaims;
    } catch {
      return undefined;
    }
  }
}
