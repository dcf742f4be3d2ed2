import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { MAX_CONCURRENT_HASHES } from 'src/passwords/password.service';
import { createTestApp, newUser, type TestApp } from './helpers/test-app';

jest.setTimeout(120_000);

let ipCounter = randomBytes(2).readUInt16BE();
/** A client address never used before in this run (the app trusts X-Forwarded-For). */
function nextIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

interface Account {
  username: string;
  password: string;
  access: string;
}

async function registerAndLogin(t: TestApp): Promise<Account> {
  const user = newUser('queue');
  await t
    .http()
    .post('/auth/register')
    .set('x-forwarded-for', nextIp())
    .send(user)
    .expect(201);
  const res = await login(t, user).expect(200);
  return { ...user, access: res.body.access_token as string };
}

function login(t: TestApp, user: { username: string; password: string }) {
  return t
    .http()
    .post('/auth/login')
    .set('x-forwarded-for', nextIp())
    .send({ username: user.username, password: user.password });
}

function changePassword(t: TestApp, account: Account) {
  return t
    .http()
    .post('/auth/password')
    .set('authorization', `Bearer ${account.access}`)
    .set('x-forwarded-for', nextIp())
    .send({
      current_password: account.password,
      new_password: `${account.password}-new`,
    });
}

async function rejectionsCounted(t: TestApp): Promise<number> {
  const res = await t.http().get('/metrics').expect(200);
  const match = /^gatehouse_hash_queue_rejections_total (\d+)$/m.exec(res.text);
  expect(match).not.toBeNull();
  return Number(match![1]);
}

function expectQueueFull(res: Response): void {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after']).toBe('1');
  expect(res.body).toMatchObject({
    status: 503,
    code: 'PASSWORDS.QUEUE_FULL',
  });
}

describe('the bounded hash queue (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No waiting at all: a hash that finds every slot busy is refused at once.
    t = await createTestApp({ HASH_QUEUE_MAX_WAIT: '0', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers hashes beyond the free slots with 503 and Retry-After, counts each, and releases their lockout reservations', async () => {
    const burst = MAX_CONCURRENT_HASHES * 5;
    const accounts: Account[] = [];
    for (let i = 0; i < burst * 2; i += 1)
      accounts.push(await registerAndLogin(t));
    const logins = accounts.slice(0, burst);
    const changes = accounts.slice(burst);
    const before = await rejectionsCounted(t);

    const [loginResponses, changeResponses] = await Promise.all([
      Promise.all(logins.map((account) => login(t, account))),
      Promise.all(changes.map((account) => changePassword(t, account))),
    ]);

    const all = [...loginResponses, ...changeResponses];
    const refused = all.filter((r) => r.status === 503);
    expect(loginResponses.every((r) => [200, 503].includes(r.status))).toBe(
      true,
    );
    expect(changeResponses.every((r) => [204, 503].includes(r.status))).toBe(
      true,
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(all.length - refused.length).toBeGreaterThanOrEqual(
      MAX_CONCURRENT_HASHES,
    );
    refused.forEach(expectQueueFull);
    expect((await rejectionsCounted(t)) - before).toBe(refused.length);

    // A refused attempt was abandoned, not counted as a failure: one by one, each account gets in at once.
    for (const [i, res] of loginResponses.entries())
      if (res.status === 503) await login(t, logins[i]).expect(200);

    // Each refused password change is audited with its reason.
    for (const [i, res] of changeResponses.entries()) {
      if (res.status !== 503) continue;
      const events = await t
        .http()
        .get('/auth/me/events')
        .query({ type: 'password_change_failed' })
        .set('authorization', `Bearer ${changes[i].access}`)
        .expect(200);
      expect(
        (events.body.items as { details: { reason: string } }[]).map(
          (e) => e.details.reason,
        ),
      ).toEqual(['busy']);
    }
  });
});
