import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { AsymmetricAlgorithm } from './signing-key';

const generateKeyPairAsync = promisify(generateKeyPair);

/** The public members a JWK may carry, per key type; everything else (d, p, q, dp, dq, qi, k…) is dropped. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
};

export type PublicJwk = Record<string, string>;

/** The public parameters of a key, whitelisted: exporting a private KeyObject by mistake still leaks nothing. */
export function publicJwkOf(key: KeyObject): PublicJwk {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const members = PUBLIC_MEMBERS[String(jwk.kty)];
  if (!members) throw new Error(`unsupported key type ${String(jwk.kty)}`);
  const result: PublicJwk = {};
  for (const name of members) result[name] = String(jwk[name]);
  return result;
}

/** RFC 7638 thumbprint: a kid every party can recompute from the public key alone. */
export function thumbprintOf(jwk: PublicJwk): string {
  const members = PUBLIC_MEMBERS[jwk.kty];
  const canonical = `{${[...members]
    .sort()
    .map((name) => `"${name}":"${jwk[name]}"`)
    .join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * Why a stored key's public half does not belong to its private key, or undefined when it does. The public key
 * derived from the decrypted private key must have the row's kid as its RFC 7638 thumbprint and be exactly the
 * stored JWK: the ciphertext is bound to the kid, so a row whose public key was swapped fails here.
 */
export function publicHalfMismatch(
  privateKey: KeyObject,
  kid: string,
  storedJwk: unknown,
): string | undefined {
  const derived = publicJwkOf(privateKey);
  if (thumbprintOf(derived) !== kid)
    return "the private key's RFC 7638 thumbprint is not the kid";
  const stored = (storedJwk ?? {}) as Record<string, unknown>;
  const names = Object.keys(derived);
  if (
    Object.keys(stored).length !== names.length ||
    names.some((name) => stored[name] !== derived[name])
  )
    return 'the stored public key is not the public half of the private key';
  return undefined;
}

export async function generateSigningKeyPair(
  alg: AsymmetricAlgorithm,
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return alg === 'RS256'
    ? generateKeyPairAsync('rsa', { modulusLength: 2048 })
    : generateKeyPairAsync('ec', { namedCurve: 'P-256' });
}

/**
 * Why a private key cannot sign with `alg`, or undefined when it can. Pinning the key type to the algorithm is
 * what makes algorithm confusion impossible: an RS256 key never verifies ES256, an EC key is never an HMAC secret.
 */
export function keyMismatch(
  key: KeyObject,
  alg: AsymmetricAlgorithm,
): string | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (alg === 'RS256') {
    if (type !== 'rsa')
      return `is ${describeKey(key)}, but JWT_ALGORITHM=RS256 needs an RSA key`;
    if ((details.modulusLength ?? 0) < 2048)
      return `is a ${details.modulusLength}-bit RSA key; RS256 needs at least 2048 bits`;
    return undefined;
  }
  if (type !== 'ec' || details.namedCurve !== 'prime256v1')
    return `is ${describeKey(key)}, but JWT_ALGORITHM=ES256 needs an EC P-256 key`;
  return undefined;
}

function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? key.type;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `an ${type} key on ${curve}` : `a ${type} key`;
}

/** The AES-256 key for private keys at rest, derived so that any 32+ byte secret string works. */
export function deriveEncryptionKey(secret: string): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      secret,
      Buffer.from('gatehouse'),
      'gatehouse signing keys v1',
      32,
    ),
  );
}

const FORMAT = 'v1';

/** AES-256-GCM over the PKCS#8 DER, bound to the kid (AAD) so a ciphertext cannot be moved to another row. */
export function encryptPrivateKey(
  key: KeyObject,
  kid: string,
  encryptionKey: Buffer,
): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const body = Buffer.concat([cipher.update(der), cipher.final()]);
  return `${FORMAT}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

/** Throws when the ciphertext was not made with this encryption key and kid. */
export function decryptPrivateKey(
  sealed: string,
  kid: string,
  encryptionKey: Buffer,
): KeyObject {
  const [format, payload] = sealed.split('.');
  if (format !== FORMAT || !payload)
    throw new Error('unknown private key format');
  const raw = Buffer.from(payload, 'base64url');
  const decipher = createDecipheriv(
    'aes-256-gcm',
    encryptionKey,
    raw.subarray(0, 12),
  );
  decipher.setAAD(Buffer.from(kid, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  const der = Buffer.concat([
    decipher.update(raw.subarray(28)),
    decipher.final(),
  ]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
