import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Reads a development secret from DATA_DIR, generating it (mode 0600) on first use.
 * Returns whether it was created so the caller can warn once.
 */
export function loadOrCreateDevSecret(
  dataDir: string,
  fileName: string,
): { value: string; created: boolean; path: string } {
  const dir = resolve(dataDir);
  const path = join(dir, fileName);
  if (existsSync(path)) {
    return { value: readFileSync(path, 'utf8').trim(), created: false, path };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const value = randomBytes(48).toString('base64url');
  // 'wx' fails if another instance created the file in the meantime; then read theirs.
  try {
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    return { value: readFileSync(path, 'utf8').trim(), created: false, path };
  }
  chmodSync(path, 0o600);
  return { value, created: true, path };
}
