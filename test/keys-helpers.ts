import { sql } from 'drizzle-orm';
import { DatabaseService } from 'src/database/database.service';
import {
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

export const KEYS_ENCRYPTION_KEY =
  'test-keys-encryption-key-0123456789-abcdefghijklmnop';

/** jose is ESM-only; a real dynamic import (not compiled to require) loads it under jest's VM modules. */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
export const importJose = new Function(
  'return import("jose")',
) as () => Promise<typeof import('jose')>;

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(
    Buffer.from(token.split('.')[0], 'base64url').toString('utf8'),
  ) as Record<string, unknown>;
}

export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(
    Buffer.from(token.split('.')[1], 'base64url').toString('utf8'),
  ) as Record<string, unknown>;
}

/** Registers a user, grants it the admin role directly in the database, and logs in (roles live in the token). */
export async function loginAdmin(
  t: TestApp,
): Promise<{ access: string; refresh: string; login: () => Promise<string> }> {
  const user = newUser('admin');
  const { id } = await registerAndLogin(t, user);
  await t
    .get(DatabaseService)
    .db.execute(
      sql`update users set roles = '{user,admin}'::text[] where id = ${id}`,
    );
  // Logs in again, so the new token carries the admin role granted above.
  const relogin = async (): Promise<string> => (await login(t, user)).access;
  return { ...(await login(t, user)), login: relogin };
}

/** Logs the user in again and returns only the access token. */
export async function accessTokenFor(
  t: TestApp,
  user: { username: string; password: string },
): Promise<string> {
  const res = await t
    .http()
    .post('/auth/login')
    .send({ username: user.username, password: user.password })
    .expect(200);
  return res.body.access_token as string;
}

export const PRIVATE_JWK_MEMBERS = [
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'k',
  'oth',
];
