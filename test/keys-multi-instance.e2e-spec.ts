import { Socket } from 'node:net';
import { Client } from 'pg';
import { SigningKeysRepository } from 'src/keys/signing-keys.repository';
import { SigningKeysService } from 'src/keys/signing-keys.service';
import {
  createTestApp,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import { until } from './helpers/eventually';
import { headerOf } from './helpers/jwt';
import { KEYS_ENCRYPTION_KEY } from './keys-helpers';

/**
 * Two instances on one PostgreSQL database (PGlite is one process's database, so this needs PostgreSQL; the file
 * is skipped, saying so, when none is reachable). Redis, when reachable, carries the "keys changed" announcement.
 */
jest.setTimeout(180_000);

// `||`: the PGlite pass of `npm test` sets TEST_DATABASE_URL to an empty string.
const PG_URL =
  process.env.TEST_DATABASE_URL ||
  process.env.TEST_PG_URL ||
  'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = 'redis://127.0.0.1:6379';

async function postgresReachable(): Promise<boolean> {
  const client = new Client({
    connectionString: PG_URL,
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function redisReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(6379, '127.0.0.1');
  });
}

describe('signing keys across instances (e2e, PostgreSQL)', () => {
  let one: TestApp | undefined;
  let two: TestApp | undefined;
  let savedUrl: string | undefined;
  let withRedis = false;

  beforeAll(async () => {
    if (!(await postgresReachable())) {
      console.warn(
        `keys-multi-instance: PostgreSQL unreachable at ${PG_URL}; skipping (PGlite cannot be shared between instances)`,
      );
      return;
    }
    withRedis = await redisReachable();
    if (!withRedis)
      console.warn(
        'keys-multi-instance: Redis unreachable; the announcement test is skipped',
      );
    savedUrl = process.env.TEST_DATABASE_URL;
    process.env.TEST_DATABASE_URL = PG_URL;
    const env = {
      JWT_ALGORITHM: 'ES256',
      KEYS_ENCRYPTION_KEY,
      JWT_KEY_ROTATION: '30d',
      ...(withRedis ? { REDIS_URL } : {}),
    };
    one = await createAppWithAdmin(env);
    two = await createAppWithAdmin({
      ...env,
      DATABASE_URL: one.database.url,
    });
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
    if (savedUrl === undefined) delete process.env.TEST_DATABASE_URL;
    else process.env.TEST_DATABASE_URL = savedUrl;
  });

  const kidsOf = async (t: TestApp): Promise<string[]> =>
    (
      (await t.http().get('/.well-known/jwks.json').expect(200)).body.keys as {
        kid: string;
      }[]
    ).map((k) => k.kid);

  it('shares the first key: the second instance does not create another', async () => {
    if (!one || !two) return;
    expect(await kidsOf(one)).toHaveLength(1);
    expect(await kidsOf(two)).toEqual(await kidsOf(one));
  });

  it('creates exactly one key when both instances rotate at once', async () => {
    if (!one || !two) return;
    const [a, b] = await Promise.all([loginAdmin(one), loginAdmin(two)]);
    const [r1, r2] = await Promise.all([
      one
        .http()
        .post('/admin/keys/rotate')
        .set('authorization', `Bearer ${a.access}`)
        .send({}),
      two
        .http()
        .post('/admin/keys/rotate')
        .set('authorization', `Bearer ${b.access}`)
        .send({}),
    ]);
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect(r1.body.kid).toBe(r2.body.kid);
    expect(r1.body.state).toBe('pending');
    expect(await one.get(SigningKeysRepository).listAll()).toHaveLength(2);
  });

  it('creates exactly one key when both instances find a scheduled rotation due at once', async () => {
    if (!one || !two) return;
    const before = (await one.get(SigningKeysRepository).listAll()).length;
    // Past the pending key's activation and its own publish-ahead point.
    one.clock.advance(31 * 86_400);
    two.clock.advance(31 * 86_400);
    await Promise.all([
      one.get(SigningKeysService).reload(),
      two.get(SigningKeysService).reload(),
      one.get(SigningKeysService).reload(),
      two.get(SigningKeysService).reload(),
    ]);
    const rows = await one.get(SigningKeysRepository).listAll();
    // The first key was removed (retired long ago), one key was added.
    expect(rows).toHaveLength(before);
    expect(await kidsOf(two)).toEqual(await kidsOf(one));
  });

  it('makes the other instance accept a key rotated in immediately (Redis announcement)', async () => {
    if (!one || !two || !withRedis) return;
    const admin = await loginAdmin(one);
    const rotated = await one
      .http()
      .post('/admin/keys/rotate')
      .set('authorization', `Bearer ${admin.access}`)
      .send({ immediate: true })
      .expect(200);
    const { access } = await registerAndLogin(one);
    expect(headerOf(access).kid).toBe(rotated.body.kid);
    await until(
      'the other instance to accept the new key',
      async () =>
        (
          await two!
            .http()
            .get('/auth/me')
            .set('authorization', `Bearer ${access}`)
        ).status === 200,
      { timeoutMs: 1_000 },
    );
  });

  // Last: passport keeps one global 'jwt' strategy, the last app's, so an app created here serves the others.
  it('without Redis, picks up an unknown kid by a rate-limited reload', async () => {
    if (!one) return;
    const three = await createTestApp({
      JWT_ALGORITHM: 'ES256',
      KEYS_ENCRYPTION_KEY,
      DATABASE_URL: one.database.url,
    });
    try {
      const admin = await loginAdmin(one);
      const rotated = await one
        .http()
        .post('/admin/keys/rotate')
        .set('authorization', `Bearer ${admin.access}`)
        .send({ immediate: true })
        .expect(200);
      const { access } = await registerAndLogin(one);
      expect(headerOf(access).kid).toBe(rotated.body.kid);
      // Its last reload was at start, moments ago: past the rate limit, the unknown kid triggers one.
      three.clock.advance(6);
      await until(
        'the third instance to accept the new key',
        async () =>
          (
            await three
              .http()
              .get('/auth/me')
              .set('authorization', `Bearer ${access}`)
          ).status === 200,
        { timeoutMs: 1_000 },
      );
    } finally {
      await three.close();
    }
  });
});
