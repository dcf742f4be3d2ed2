import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { mfaConfig } from 'src/config/mfa.config';
import { loadOrCreateDevSecret } from 'src/keys/dev-secret';
import { mfaUnavailableError } from './mfa.errors';

const FORMAT = 't1';

/**
 * Seals TOTP secrets at rest: AES-256-GCM under a key derived from KEYS_ENCRYPTION_KEY (its own HKDF label, so it
 * never equals the signing keys' key), with the user id as associated data so a sealed secret cannot be moved to
 * another account's row. Outside production without the key, the development key in DATA_DIR is used (with a
 * warning); in production without it, enrolment answers 503 rather than storing secrets unprotected.
 */
@Injectable()
export class TotpSecretBox {
  private readonly logger = new Logger(TotpSecretBox.name);
  private key?: Buffer;

  constructor(
    @Inject(mfaConfig.KEY)
    private readonly config: ConfigType<typeof mfaConfig>,
  ) {}

  seal(secret: Buffer, userId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey(), iv);
    cipher.setAAD(Buffer.from(userId, 'utf8'));
    const body = Buffer.concat([cipher.update(secret), cipher.final()]);
    return `${FORMAT}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Throws when the secret was sealed under another key or for another user. */
  open(sealed: string, userId: string): Buffer {
    const [format, payload] = sealed.split('.');
    if (format !== FORMAT || !payload)
      throw new Error('unknown TOTP secret format');
    const raw = Buffer.from(payload, 'base64url');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.encryptionKey(),
      raw.subarray(0, 12),
    );
    decipher.setAAD(Buffer.from(userId, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  }

  private encryptionKey(): Buffer {
    if (this.key) return this.key;
    let secret = this.config.encryptionSecret;
    if (!secret) {
      if (this.config.production) throw mfaUnavailableError();
      const generated = loadOrCreateDevSecret(
        this.config.dataDir,
        'keys-encryption-key',
      );
      secret = generated.value;
      this.logger.warn(
        `KEYS_ENCRYPTION_KEY is not set: TOTP secrets are encrypted with the development key in ${generated.path}. Set KEYS_ENCRYPTION_KEY in production.`,
      );
    }
    this.key = Buffer.from(
      hkdfSync(
        'sha256',
        secret,
        Buffer.from('gatehouse'),
        'gatehouse totp secrets v1',
        32,
      ),
    );
    return this.key;
  }
}
