import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import Redis from 'ioredis';
import type { Response } from 'supertest';
import { users } from 'src/database/schema';
import { countVerifications } from './helpers/counters';
import {
  commandExists,
  isReachableSync,
  startRedisServer,
} from './helpers/spawn-app';
import {
  createTestApp,
  DatabaseService,
  newUser,
  PasswordService,
  type TestApp,
} from './helpers/test-app';

/** Logical db 2 of the test Redis belongs to this file (it is flushed). */
const redisTarget = new URL(
  process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
);
redisTarget.pathname = '/2';
const REDIS_URL = redisTarget.toString();
const redisUp = isReachableSync(
  redisTarget.hostname,
  Number(redisTarget.port || 6379),
);
if (!redisUp)
  console.warn(
    `brute-force: Redis at ${redisTarget.host} is unreachable; the Redis-backed variants are skipped`,
  );

/** The same specs with counters in process (no REDIS_URL) and in Redis (db 2, shared by instances). */
const STORES: [string, Record<string, string>][] = [
  ['in-process', {}],
  ...(redisUp
    ? ([['Redis', { REDIS_URL }]] as [string, Record<string, string>][])
    : []),
];

async function flushTestRedis(): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  await client.connect();
  await client.flushdb();
  await client.quit();
}

let ipCounter = randomBytes(2).readUInt16BE();
/** A client address never used before in this run (the apps below trust X-Forwarded-For). */
function nextIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

/**
 * Each attempt comes from a new address, as in a distributed attack: the per-IP limit never triggers, so what
 * these tests see is the per-account protection alone.
 */
function login(t: TestApp, username: string, password: string) {
  return t
    .http()
    .post('/auth/login')
    .set('x-forwarded-for', nextIp())
    .send({ username, password });
}

async function register(t: TestApp, user = newUser()) {
  const res = await t
    .http()
    .post('/auth/register')
    .set('x-forwarded-for', nextIp())
    .send(user)
    .expect(201);
  return { ...user, id: (res.body as { id: string }).id };
}

function refresh(t: TestApp, ip?: string) {
  const req = t.http().post('/auth/refresh');
  if (ip) void req.set('x-forwarded-for', ip);
  return req.send({ refresh_token: 'not-a-real-refresh-token' });
}

function expectLocked(res: Response): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(res.body).toMatchObject({
    status: 429,
    code: 'AUTH.TOO_MANY_ATTEMPTS',
  });
}

/** The problem body without its per-request id. */
function stable(body: unknown): unknown {
  const { request_id: _requestId, ...rest } = body as Record<string, unknown>;
  return rest;
}

describe.each(STORES)(
  'brute-force protection, %s counters (e2e)',
  (_name, env) => {
    let t: TestApp;
    let passwords: { readonly verifications: number };
    beforeAll(async () => {
      if (env.REDIS_URL) await flushTestRedis();
      t = await createTestApp({
        ...env,
        RATE_LIMIT_MAX: '3',
        TRUST_PROXY: 'true',
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

    it('lets at most LOGIN_MAX_FAILURES of 30 parallel wrong guesses reach the password hash', async () => {
      const user = await register(t);
      const before = passwords.verifications;
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          login(t, user.username, `wrong guess number ${i}`),
        ),
      );
      const checked = passwords.verifications - before;
      const statuses = responses.map((r) => r.status);
      expect(checked).toBe(5);
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(25);
      responses.filter((r) => r.status === 429).forEach(expectLocked);

      // Still locked: even the right password is refused, and never reaches the hash.
      const right = await login(t, user.username, user.password);
      expectLocked(right);
      expect(passwords.verifications - before).toBe(5);
    });

    it('refuses the right password during a lockout, lets other accounts in, and accepts it afterwards', async () => {
      const victim = await register(t);
      const bystander = await register(t);
      for (let i = 0; i < 5; i += 1)
        await login(t, victim.username, 'not the password at all').expect(401);

      const during = await login(t, victim.username, victim.password);
      expectLocked(during);
      expect(during.headers['retry-after']).toBe('10');
      // The attempt is refused exactly like a wrong one would be: nothing tells which guess was right.
      const wrongDuring = await login(t, victim.username, 'another wrong one');
      expect(stable(wrongDuring.body)).toEqual(stable(during.body));
      expect(wrongDuring.headers['retry-after']).toBe(
        during.headers['retry-after'],
      );
      await login(t, bystander.username, bystander.password).expect(200);

      t.clock.advance(10);
      await login(t, victim.email, victim.password).expect(200);
      // A success resets the counter: four new failures do not lock.
      for (let i = 0; i < 4; i += 1)
        await login(t, victim.username, 'not the password at all').expect(401);
      await login(t, victim.username, victim.password).expect(200);
    });

    it('doubles the lockout with every further failure, up to LOGIN_LOCKOUT_MAX, and never locks for good', async () => {
      const user = await register(t);
      for (let i = 0; i < 5; i += 1)
        await login(t, user.username, 'not the password at all').expect(401);
      const retryAfters: string[] = [];
      for (const wait of [10, 20, 40, 40]) {
        const locked = await login(t, user.username, 'still guessing');
        expectLocked(locked);
        retryAfters.push(locked.headers['retry-after']);
        t.clock.advance(wait);
        // One more guess is let through after each lockout; it fails and locks again for twice as long.
        await login(t, user.username, 'one more guess').expect(401);
      }
      expect(retryAfters).toEqual(['10', '20', '40', '40']);
      t.clock.advance(40);
      await login(t, user.username, user.password).expect(200);
    });

    it('counts username and email of one account together, and unknown names case-insensitively', async () => {
      const user = await register(t);
      for (let i = 0; i < 3; i += 1)
        await login(t, user.username, 'wrong').expect(401);
      for (let i = 0; i < 2; i += 1)
        await login(t, user.email.toUpperCase(), 'wrong').expect(401);
      expectLocked(await login(t, user.username, user.password));

      const ghost = `Ghost_${randomBytes(4).toString('hex')}`;
      for (let i = 0; i < 5; i += 1) await login(t, ghost, 'wrong').expect(401);
      expectLocked(await login(t, ghost.toUpperCase(), 'wrong'));
    });

    it('locks an unknown name exactly like an existing account', async () => {
      const user = await register(t);
      const ghost = `ghost_${randomBytes(4).toString('hex')}`;
      const run = async (name: string) => {
        const before = passwords.verifications;
        const responses: Response[] = [];
        for (let i = 0; i < 7; i += 1)
          responses.push(await login(t, name, `wrong password ${i}`));
        return {
          statuses: responses.map((r) => r.status),
          bodies: responses.map((r) => stable(r.body)),
          retryAfter: responses.map((r) => r.headers['retry-after']),
          checked: passwords.verifications - before,
        };
      };
      const known = await run(user.username);
      const unknown = await run(ghost);
      expect(known.statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      expect(unknown).toEqual(known);
    });

    it('answers unknown user, wrong password and disabled account alike, in about the same time', async () => {
      const wrong = await register(t);
      const disabled = await register(t);
      await t
        .get(DatabaseService)
        .db.update(users)
        .set({ disabled: true })
        .where(eq(users.id, disabled.id));
      const cases = {
        unknown: () =>
          login(t, `nobody_${randomBytes(4).toString('hex')}`, 'x'),
        wrong: () => login(t, wrong.username, 'not the password'),
        // The right password of a disabled account must not be told apart from a wrong one.
        disabled: () => login(t, disabled.username, disabled.password),
      };
      const bodies: Record<string, unknown> = {};
      const times: Record<string, number[]> = {
        unknown: [],
        wrong: [],
        disabled: [],
      };
      // Interleaved, four rounds (under LOGIN_MAX_FAILURES), so drift in machine load hits every case alike.
      for (let round = 0; round < 4; round += 1) {
        for (const [name, attempt] of Object.entries(cases)) {
          const started = process.hrtime.bigint();
          const res = await attempt();
          times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
          expect(res.status).toBe(401);
          expect(res.headers['www-authenticate']).toBe(
            'Bearer realm="gatehouse"',
          );
          bodies[name] = stable(res.body);
        }
      }
      expect(bodies.wrong).toEqual(bodies.unknown);
      expect(bodies.disabled).toEqual(bodies.unknown);
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const reference = median(times.wrong);
      for (const name of ['unknown', 'disabled']) {
        const ratio = median(times[name]) / reference;
        expect(ratio).toBeGreaterThan(0.5);
        expect(ratio).toBeLessThan(2);
      }
    });

    it('limits each forwarded client address separately (TRUST_PROXY on), with a 429 problem and Retry-After', async () => {
      const [first, second] = [nextIp(), nextIp()];
      for (let i = 0; i < 3; i += 1) await refresh(t, first).expect(401);
      const limited = await refresh(t, first).expect(429);
      expect(limited.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(limited.body).toMatchObject({
        status: 429,
        code: 'RATE_LIMITED',
      });
      await refresh(t, second).expect(401);
    });

    it('limits login and register too, but not authenticated routes', async () => {
      const ip = nextIp();
      const statusesOf = async (send: () => Promise<Response>) => {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i += 1) statuses.push((await send()).status);
        return statuses;
      };
      expect(
        await statusesOf(() =>
          t
            .http()
            .post('/auth/login')
            .set('x-forwarded-for', ip)
            .send({ username: `nobody_${nextIp()}`, password: 'x' }),
        ),
      ).toEqual([401, 401, 401, 429]);
      expect(
        await statusesOf(() =>
          t
            .http()
            .post('/auth/register')
            .set('x-forwarded-for', ip)
            .send({ username: 'x' }),
        ),
      ).toEqual([400, 400, 400, 429]);
      expect(
        await statusesOf(() =>
          t.http().get('/auth/me').set('x-forwarded-for', ip),
        ),
      ).toEqual([401, 401, 401, 401]);
    });
  },
);

describe('brute-force protection without a trusted proxy or without Redis (e2e)', () => {
  it('ignores X-Forwarded-For when TRUST_PROXY is off', async () => {
    const direct = await createTestApp({
      RATE_LIMIT_MAX: '3',
      TRUST_PROXY: 'false',
    });
    try {
      for (let i = 0; i < 3; i += 1)
        await refresh(direct, nextIp()).expect(401);
      await refresh(direct, nextIp()).expect(429);
    } finally {
      await direct.close();
    }
  });

  (commandExists('redis-server') ? it : it.skip)(
    'keeps counting failed logins and requests in process while the configured Redis is down',
    async () => {
      const redis = await startRedisServer(4452);
      let down: TestApp | undefined;
      try {
        down = await createTestApp({
          REDIS_URL: redis.url(2),
          RATE_LIMIT_MAX: '3',
          TRUST_PROXY: 'true',
        });
        const user = await register(down);
        await login(down, user.username, 'wrong').expect(401);
        await redis.stop();
        // The failure counted in Redis before the outage is remembered here: four more lock the account.
        for (let i = 0; i < 4; i += 1)
          await login(down, user.username, 'wrong').expect(401);
        expectLocked(await login(down, user.username, user.password));
        down.clock.advance(1);
        await login(down, user.username, user.password).expect(200);
        const ip = nextIp();
        for (let i = 0; i < 3; i += 1) await refresh(down, ip).expect(401);
        await refresh(down, ip).expect(429);
      } finally {
        await down?.close();
        await redis.stop();
      }
    },
  );
});
