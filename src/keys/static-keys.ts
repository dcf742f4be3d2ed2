import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '@nestjs/common';
import { InvalidEnvironmentError } from 'src/config/env.schema';
import { loadOrCreateDevSecret } from './dev-secret';
import { keyMismatch, publicJwkOf, thumbprintOf } from './key-crypto';
import type { AsymmetricAlgorithm, SigningKey } from './signing-key';

/** The HS256 key from JWT_SECRET, or from a development secret generated into DATA_DIR. */
export function secretKey(
  config: { jwtSecret?: string; dataDir: string },
  logger: Logger,
): SigningKey {
  let secret = config.jwtSecret;
  if (!secret) {
    // Production never gets here: the env schema refuses to start without JWT_SECRET.
    const generated = loadOrCreateDevSecret(config.dataDir, 'jwt-secret');
    secret = generated.value;
    logger.warn(
      `JWT_SECRET is not set: using a development secret ${generated.created ? 'generated into' : 'read from'} ${generated.path}. Set JWT_SECRET in production.`,
    );
  } else if (Buffer.byteLength(secret, 'utf8') < 32) {
    logger.warn(
      'JWT_SECRET is shorter than 32 bytes; production refuses such a secret.',
    );
  }
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const kid = `hs-${createHash('sha256').update('gatehouse-kid').update(secret).digest('base64url').slice(0, 16)}`;
  return { kid, alg: 'HS256', signingKey: key, verificationKey: key };
}

/**
 * The operator's own key from JWT_PRIVATE_KEY (PEM; `\n` escapes allowed for one-line env files) or
 * JWT_PRIVATE_KEY_FILE. Unreadable, unparsable or of the wrong type for the algorithm: the start stops.
 */
export function pemKey(config: {
  algorithm: AsymmetricAlgorithm;
  privateKeyPem?: string;
  privateKeyFile?: string;
}): SigningKey {
  const source = config.privateKeyFile
    ? 'JWT_PRIVATE_KEY_FILE'
    : 'JWT_PRIVATE_KEY';
  const refuse = (reason: string): never => {
    throw new InvalidEnvironmentError(
      `Invalid configuration: ${source}: ${reason}`,
    );
  };
  let pem = config.privateKeyPem?.replace(/\\n/g, '\n') ?? '';
  if (config.privateKeyFile) {
    try {
      pem = readFileSync(config.privateKeyFile, 'utf8');
    } catch (error) {
      refuse(
        `cannot read ${config.privateKeyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  let privateKey: KeyObject | undefined;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    refuse(
      'is not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY----- or an RSA/EC PEM)',
    );
  }
  const key = privateKey as KeyObject;
  const mismatch = keyMismatch(key, config.algorithm);
  if (mismatch) refuse(`the key ${mismatch}`);
  const verificationKey = createPublicKey(key);
  return {
    kid: thumbprintOf(publicJwkOf(verificationKey)),
    alg: config.algorithm,
    signingKey: key,
    verificationKey,
  };
}
