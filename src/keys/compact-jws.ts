import {
  createHmac,
  timingSafeEqual,
  verify as verifySignature,
  type KeyObject,
} from 'node:crypto';
import type { SigningAlgorithm } from './signing-key';

/** A compact JWS read once: its decoded header and payload, and the two strings its signature check needs. */
export interface CompactJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `header.payload` as sent: what the signature covers. */
  signingInput: string;
  signature: string;
}

/** Three non-empty base64url segments and nothing else (jws's own test, which jsonwebtoken applied). */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** An ES256 signature in JOSE form is r and s, 32 bytes each (RFC 7518 §3.4). */
const ES256_SIGNATURE_BYTES = 64;

function jsonObjectOf(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(segment, 'base64url').toString('utf8'),
    );
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Splits and decodes a compact JWS, once; undefined when it is not one or its header or payload is no JSON object. */
export function decodeCompactJws(token: string): CompactJws | undefined {
  if (!COMPACT_JWS.test(token)) return undefined;
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  const header = jsonObjectOf(token.slice(0, first));
  const payload = header && jsonObjectOf(token.slice(first + 1, last));
  if (!header || !payload) return undefined;
  return {
    header,
    payload,
    signingInput: token.slice(0, last),
    signature: token.slice(last + 1),
  };
}

/** The signature's bytes, only from their one canonical base64url spelling: no two tokens share a signature. */
function canonicalBytes(signature: string): Buffer | undefined {
  const bytes = Buffer.from(signature, 'base64url');
  return bytes.toString('base64url') === signature ? bytes : undefined;
}

/** Whether `key` fits `alg` (a secret for HS256, an RSA or P-256 public key): asked once per key object. */
const fits = new WeakMap<KeyObject, SigningAlgorithm>();
function keyFits(alg: SigningAlgorithm, key: KeyObject): boolean {
  const known = fits.get(key);
  if (known !== undefined) return known === alg;
  const fit =
    alg === 'HS256'
      ? key.type === 'secret'
      : key.type === 'public' &&
        (alg === 'RS256'
          ? key.asymmetricKeyType === 'rsa'
          : key.asymmetricKeyType === 'ec' &&
            key.asymmetricKeyDetails?.namedCurve === 'prime256v1');
  if (fit) fits.set(key, alg);
  return fit;
}

/**
 * Checks a JWS signature, once, with `key` under `alg` (the caller has already matched the token's `alg` to the
 * key's). HS256 compares the expected MAC's base64url text in constant time, as jwa did.
 */
export function signatureIsValid(
  jws: CompactJws,
  alg: SigningAlgorithm,
  key: KeyObject,
): boolean {
  if (!keyFits(alg, key)) return false;
  if (alg === 'HS256') {
    const expected = Buffer.from(
      createHmac('sha256', key).update(jws.signingInput).digest('base64url'),
    );
    const sent = Buffer.from(jws.signature);
    return sent.length === expected.length && timingSafeEqual(sent, expected);
  }
  const signature = canonicalBytes(jws.signature);
  if (!signature) return false;
  if (alg === 'ES256' && signature.length !== ES256_SIGNATURE_BYTES)
    return false;
  try {
    return verifySignature(
      'sha256',
      Buffer.from(jws.signingInput),
      alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
      signature,
    );
  } catch {
    return false;
  }
}
