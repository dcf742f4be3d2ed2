import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
} from 'node:crypto';

/** 256 random bits, base64url: 43 characters. */
export function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isWellFormedRefreshToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function successorKey(token: string): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      token,
      Buffer.alloc(0),
      'gatehouse refresh successor v1',
      32,
    ),
  );
}

/**
 * Encrypts the pair issued at rotation under a key derived from the *presented* token, so the stored copy
 * is useless to anyone who does not already hold that token (a database reader cannot mint sessions).
 */
export function sealSuccessor(presentedToken: string, payload: object): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv(
    'aes-256-gcm',
    successorKey(presentedToken),
    iv,
  );
  const body = Buffer.concat([
    cipher.update(JSON.stringify(payload), 'utf8'),
    cipher.final(),
  ]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function openSuccessor<T>(
  presentedToken: string,
  sealed: string,
): T | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      successorKey(presentedToken),
      raw.subarray(0, 12),
    );
    decipher.setAuthTag(raw.subarray(12, 28));
    const plain = Buffer.concat([
      decipher.update(raw.subarray(28)),
      decipher.final(),
    ]);
    return JSON.parse(plain.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
