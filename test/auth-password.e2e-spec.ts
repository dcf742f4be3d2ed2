import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { countVerifications } from './helpers/counters';
import {
  createTestApp,
  newUser,
  PasswordService,
  type TestApp,
} from './helpers/test-app';

jest.setTimeout(60_000);

let ipCounter = randomBytes(2).readUInt16BE();
/** A client address never used before in this run (the app trusts X-Forwarded-For). */
function nextIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

interface Account {
  username: string;
  email: string;
  password: string;
  id: string;
  access: string;
}

async function registerAndLogin(t: TestApp): Promise<Account> {
  const user = newUser('pwchange');
  const reg = await t
    .http()
    .post('/auth/register')
    .set('x-forwarded-for', nextIp())
    .send(user)
    .expect(201);
  const login = await t
    .http()
    .post('/auth/login')
    .set('x-forwarded-for', nextIp())
    .send({ username: user.username, password: user.password })
    .expect(200);
  return {
    ...user,
    id: (reg.body as { id: string }).id,
    access: login.body.access_token as string,
  };
}

/** Each request from a new address unless one is given, so the per-address limit stays out of the way. */
function changePassword(
  t: TestApp,
  account: Account,
  body: { current_password: string; new_password: string },
  client: { ip?: string; userAgent?: string } = {},
) {
  const req = t
    .http()
    .post('/auth/password')
    .set('authorization', `Bearer ${account.access}`)
    .set('x-forwarded-for', client.ip ?? nextIp());
  if (client.userAgent) void req.set('user-agent', client.userAgent);
  return req.send(body);
}

function login(t: TestApp, username: string, password: string) {
  return t
    .http()
    .post('/auth/login')
    .set('x-forwarded-for', nextIp())
    .send({ username, password });
}

function expectLocked(res: Response, retryAfter = /^[1-9]\d*$/): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after']).toMatch(retryAfter);
  expect(res.body).toMatchObject({ code: 'AUTH.TOO_MANY_ATTEMPTS' });
}

const wrong = (account: Account, i = 0) => ({
  current_password: `not the password, guess ${i}`,
  new_password: `${account.password}-new`,
});
const right = (account: Account) => ({
  current_password: account.password,
  new_password: `${account.password}-new`,
});

describe('POST /auth/password as a login attempt (e2e)', () => {
  let t: TestApp;
  let passwords: { readonly verifications: number };
  beforeAll(async () => {
    t = await createTestApp({
      TRUST_PROXY: 'true',
      RATE_LIMIT_MAX: '10',
      PASSWORD_MIN_LENGTH: '16',
      // Long enough that a slow machine cannot see a lockout end in the middle of a burst.
      LOGIN_LOCKOUT_BASE: '10s',
      LOGIN_LOCKOUT_MAX: '40s',
    });
    passwords = countVerifications(t.get(PasswordService));
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => t.clock.reset());

  it('locks the account after LOGIN_MAX_FAILURES wrong current passwords: 429 with Retry-After, even for the right one and for login', async () => {
    const account = await registerAndLogin(t);
    for (let i = 0; i < 5; i += 1) {
      const res = await changePassword(t, account, wrong(account, i));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('AUTH.WRONG_CURRENT_PASSWORD');
    }
    const before = passwords.verifications;
    expectLocked(await changePassword(t, account, right(account)), /^10$/);
    expectLocked(await login(t, account.username, account.password), /^10$/);
    expect(passwords.verifications).toBe(before);

    t.clock.advance(10);
    await changePassword(t, account, right(account)).expect(204);
    await login(t, account.username, `${account.password}-new`).expect(200);
  });

  it('lets at most LOGIN_MAX_FAILURES of 20 parallel wrong current passwords reach the password hash', async () => {
    const account = await registerAndLogin(t);
    const before = passwords.verifications;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        changePassword(t, account, wrong(account, i)),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(passwords.verifications - before).toBe(5);
    expect(statuses.filter((s) => s === 403)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    responses.filter((r) => r.status === 429).forEach((r) => expectLocked(r));
    expectLocked(await changePassword(t, account, right(account)));
  });

  it('counts wrong current passwords and failed logins toward one lockout', async () => {
    const account = await registerAndLogin(t);
    for (let i = 0; i < 3; i += 1)
      await login(t, account.username, `wrong ${i}`).expect(401);
    for (let i = 0; i < 2; i += 1)
      await changePassword(t, account, wrong(account, i)).expect(403);
    expectLocked(await changePassword(t, account, right(account)));
    expectLocked(await login(t, account.username, account.password));
  });

  it('limits POST /auth/password per client address (RATE_LIMIT_MAX), like login', async () => {
    const account = await registerAndLogin(t);
    const ip = nextIp();
    const statuses: number[] = [];
    // Refused by validation, so the account's lockout plays no part: only the address is counted.
    for (let i = 0; i < 11; i += 1)
      statuses.push(
        (await changePassword(t, account, {} as never, { ip })).status,
      );
    expect(statuses).toEqual([...Array.from({ length: 10 }, () => 400), 429]);
    const limited = await changePassword(t, account, right(account), { ip });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    await changePassword(t, account, right(account)).expect(204);
  });

  it('audits every refusal as password_change_failed with address, user agent and reason, and password_changed with them too', async () => {
    const account = await registerAndLogin(t);
    const client = { ip: nextIp(), userAgent: 'pwchange-audit-agent/2.0' };
    const short = 'thirteen-char';
    await changePassword(
      t,
      account,
      { current_password: account.password, new_password: short },
      client,
    ).expect(400);
    for (let i = 0; i < 5; i += 1)
      await changePassword(t, account, wrong(account, i), client).expect(403);
    expectLocked(await changePassword(t, account, right(account), client));
    t.clock.advance(10);
    const changed = { ...client, ip: nextIp() };
    await changePassword(t, account, right(account), changed).expect(204);

    const res = await t
      .http()
      .get('/auth/me/events')
      .query({ limit: 50 })
      .set('authorization', `Bearer ${account.access}`)
      .expect(200);
    const events = res.body.items as {
      type: string;
      user_id: string;
      ip: string | null;
      user_agent: string | null;
      session_id: string | null;
      details: { reason?: string };
    }[];
    const failures = events.filter((e) => e.type === 'password_change_failed');
    expect(failures.map((e) => e.details.reason).sort()).toEqual([
      'invalid_new_password',
      'locked_out',
      ...Array.from({ length: 5 }, () => 'wrong_password'),
    ]);
    for (const event of failures)
      expect(event).toMatchObject({
        user_id: account.id,
        ip: client.ip,
        user_agent: client.userAgent,
        session_id: expect.any(String),
      });
    expect(events.find((e) => e.type === 'password_changed')).toMatchObject({
      user_id: account.id,
      ip: changed.ip,
      user_agent: client.userAgent,
    });
    const text = JSON.stringify(events);
    expect(text).not.toContain(account.password);
    expect(text).not.toContain('not the password');
    expect(text).not.toContain(short);
  });
});
