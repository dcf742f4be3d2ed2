import { claimsOf } from './jwt';
import { createTestApp, login, type TestApp } from './test-app';

/** The first admin every admin-using spec configures through ADMIN_*, as an operator does. */
export const ADMIN = {
  username: 'root_admin',
  email: 'root-admin@example.com',
  password: 'the admin password, long enough',
};

export const ADMIN_ENV: Record<string, string> = {
  ADMIN_USERNAME: ADMIN.username,
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
};

export interface AdminSession {
  id: string;
  access: string;
  refresh: string;
}

/** createTestApp with the first admin (ADMIN) configured, so loginAdmin can sign it in. */
export function createAppWithAdmin(
  env: Record<string, string> = {},
  options?: Parameters<typeof createTestApp>[1],
): Promise<TestApp> {
  return createTestApp({ ...ADMIN_ENV, ...env }, options);
}

/** Logs the configured admin in: a new session whose token carries the admin role. */
export async function loginAdmin(t: TestApp): Promise<AdminSession> {
  const pair = await login(t, ADMIN);
  return { id: claimsOf(pair.access).sub, ...pair };
}
