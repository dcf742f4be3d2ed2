import { createHash, createSecretKey } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from 'src/config/auth.config';
import { loadOrCreateDevSecret } from './dev-secret';
import type { SigningKey } from './signing-key';

/**
 * Holds the keys that sign and verify access tokens. Keys are KeyObjects built once: jsonwebtoken rebuilds a key
 * from a string secret on every call, which costs more than the signature itself.
 */
@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly keys = new Map<string, SigningKey>();
  private current: SigningKey;

  constructor(@Inject(authConfig.KEY) config: ConfigType<typeof authConfig>) {
    let secret = config.jwtSecret;
    if (!secret) {
      // Production never gets here: the env schema refuses to start without JWT_SECRET.
      const generated = loadOrCreateDevSecret(config.dataDir, 'jwt-secret');
      secret = generated.value;
      this.logger.warn(
        `JWT_SECRET is not set: using a development secret ${generated.created ? 'generated into' : 'read from'} ${generated.path}. Set JWT_SECRET in production.`,
      );
    } else if (Buffer.byteLength(secret, 'utf8') < 32) {
      this.logger.warn(
        'JWT_SECRET is shorter than 32 bytes; production refuses such a secret.',
      );
    }
    const key = createSecretKey(Buffer.from(secret, 'utf8'));
    const kid = `hs-${createHash('sha256').update('gatehouse-kid').update(secret).digest('base64url').slice(0, 16)}`;
    this.current = { kid, alg: 'HS256', signingKey: key, verificationKey: key };
    this.keys.set(kid, this.current);
  }

  /** The key new tokens are signed with. */
  currentKey(): SigningKey {
    return this.current;
  }

  /** The key for a token's `kid`, or undefined when the kid is unknown (the token is then invalid). */
  findKey(kid: unknown): SigningKey | undefined {
    return typeof kid === 'string' ? this.keys.get(kid) : undefined;
  }

  algorithms(): SigningKey['alg'][] {
    return [...new Set([...this.keys.values()].map((k) => k.alg))];
  }
}
