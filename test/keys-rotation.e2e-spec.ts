import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { DatabaseService } from 'src/database/database.service';
import { SigningKeysRepository } from 'src/keys/signing-keys.repository';
import { SigningKeysService } from 'src/keys/signing-keys.service';
import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import { headerOf } from './helpers/jwt';
import {
  createTestApp,
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import { KEYS_ENCRYPTION_KEY } from './keys-helpers';

jest.setTimeout(120_000);

const DAY = 86_400;
const HOUR = 3_600;
/** JWT_ACCESS_TTL 15m + JWT_CLOCK_TOLERANCE 5s: how long a retired key keeps verifying. */
const RETENTION = 15 * 60 + 5;

interface KeyView {
  kid: string;
  state: string;
  published_at: string;
  activates_at: string;
  retired_at?: string;
  removes_at?: string;
}

async function jwksKids(t: TestApp): Promise<string[]> {
  const res = await t.http().get('/.well-known/jwks.json').expect(200);
  return (res.body.keys as { kid: string }[]).map((k) => k.kid);
}

describe('scheduled rotation timeline (e2e, injected clock)', () => {
  let t: TestApp;
  let keys: SigningKeysService;
  const user = newUser();

  /** Logs the admin in at every call: the injected clock moves by days between them. */
  async function adminKeys(): Promise<KeyView[]> {
    const res = await t
      .http()
      .get('/admin/keys')
      .set('authorization', `Bearer ${(await loginAdmin(t)).access}`)
      .expect(200);
    return res.body as KeyView[];
  }

  const accessToken = async (): Promise<string> =>
    (await login(t, user)).access;

  async function me(token: string): Promise<number> {
    const res = await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${token}`);
    return res.status;
  }

  /** Moves the injected clock to an exact instant (real time keeps running between steps). */
  function setClock(targetMs: number): void {
    t.clock.advance((targetMs - t.clock.now().getTime()) / 1000);
  }

  beforeAll(async () => {
    t = await createAppWithAdmin({
      JWT_ALGORITHM: 'ES256',
      KEYS_ENCRYPTION_KEY,
      JWT_KEY_ROTATION: '30d',
      JWT_KEY_PUBLISH_AHEAD: '1h',
      JWT_ACCESS_TTL: '15m',
      JWT_CLOCK_TOLERANCE: '5s',
    });
    keys = t.get(SigningKeysService);
    await registerAndLogin(t, user);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('publishes ahead, switches, retires and removes keys on schedule', async () => {
    const [a] = await adminKeys();
    expect(a.state).toBe('active');
    const aActivated = Date.parse(a.activates_at);

    // Just before the publish-ahead point nothing happens.
    setClock(aActivated + (30 * DAY - HOUR - 60) * 1000);
    await keys.reload();
    expect(await jwksKids(t)).toEqual([a.kid]);

    // At the publish-ahead point the next key is published, but the current one still signs.
    setClock(aActivated + (30 * DAY - HOUR) * 1000);
    await keys.reload();
    const [stillA, b] = await adminKeys();
    expect(stillA).toMatchObject({ kid: a.kid, state: 'active' });
    expect(b.state).toBe('pending');
    // Due 30 days after A activated; published a full hour ahead (the reload ran a moment after that point).
    const due = aActivated + 30 * DAY * 1000;
    expect(Date.parse(b.activates_at)).toBeGreaterThanOrEqual(due);
    expect(Date.parse(b.activates_at)).toBeLessThan(due + 5_000);
    expect(Date.parse(b.activates_at) - Date.parse(b.published_at)).toBe(
      HOUR * 1000,
    );
    expect(await jwksKids(t)).toEqual([a.kid, b.kid]);
    expect(headerOf(await accessToken()).kid).toBe(a.kid);

    // A second reload (or another instance) does not publish yet another key.
    await keys.reload();
    expect(await jwksKids(t)).toHaveLength(2);

    // Two seconds before the switch A still signs; that token must outlive A's retirement.
    const switchAt = Date.parse(b.activates_at);
    setClock(switchAt - 2_000);
    const lastOfA = await accessToken();
    expect(headerOf(lastOfA).kid).toBe(a.kid);

    // At activation time the new key signs, with no reload needed; the old one retires and still verifies.
    setClock(switchAt);
    const firstOfB = await accessToken();
    expect(headerOf(firstOfB).kid).toBe(b.kid);
    const [retiredA, activeB] = await adminKeys();
    expect(retiredA).toMatchObject({
      kid: a.kid,
      state: 'retired',
      retired_at: b.activates_at,
      removes_at: new Date(switchAt + RETENTION * 1000).toISOString(),
    });
    expect(activeB).toMatchObject({ kid: b.kid, state: 'active' });
    expect(await me(lastOfA)).toBe(200);

    // Until every token it signed has expired, the retired key stays published and verifying.
    setClock(switchAt + 890_000);
    expect(await me(lastOfA)).toBe(200);
    setClock(switchAt + (RETENTION - 2) * 1000);
    expect(await jwksKids(t)).toEqual([a.kid, b.kid]);
    expect(keys.findKey(a.kid)?.kid).toBe(a.kid);

    // Then it is gone: from the JWKS and verification at once, from the database at the next reload.
    setClock(switchAt + (RETENTION + 1) * 1000);
    expect(await jwksKids(t)).toEqual([b.kid]);
    expect(keys.findKey(a.kid)).toBeUndefined();
    expect(await me(lastOfA)).toBe(401);
    expect(await me(await accessToken())).toBe(200);
    await keys.reload();
    const rows = await t.get(SigningKeysRepository).listAll();
    expect(rows.map((r) => r.kid)).toEqual([b.kid]);
  });

  it('still publishes ahead when a rotation is overdue (every instance was down)', async () => {
    const before = await adminKeys();
    t.clock.advance(90 * DAY);
    // The active key still signs until the late successor activates.
    const token = await accessToken();
    expect(headerOf(token).kid).toBe(before[before.length - 1].kid);
    await keys.reload();
    const after = await adminKeys();
    const pending = after.find((k) => k.state === 'pending');
    expect(pending).toBeDefined();
    expect(
      Date.parse(pending!.activates_at) - Date.parse(pending!.published_at),
    ).toBe(HOUR * 1000);
  });
});

describe('keys at rest (e2e)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  // DATABASE_URL empty: PGlite in DATA_DIR, so a second start sees the first one's keys.
  const env = (): Record<string, string> => ({
    DATABASE_URL: '',
    DATA_DIR: dataDir,
    JWT_ALGORITHM: 'RS256',
  });

  it('encrypts private keys under a development key generated into DATA_DIR, and refuses another key', async () => {
    const first = await createTestApp(env());
    const user = newUser();
    let kid: unknown;
    try {
      const { access } = await registerAndLogin(first, user);
      kid = headerOf(access).kid;
      const file = join(dataDir, 'keys-encryption-key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const { rows } = await first
        .get(DatabaseService)
        .db.execute(
          sql`select kid, public_jwk, private_key_encrypted from signing_keys`,
        );
      expect(rows).toHaveLength(1);
      const row = rows[0] as {
        public_jwk: unknown;
        private_key_encrypted: string;
      };
      expect(row.private_key_encrypted).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
      expect(
        Buffer.from(row.private_key_encrypted.slice(3), 'base64url').toString(
          'latin1',
        ),
      ).not.toMatch(/PRIVATE KEY/);
      const jwk =
        typeof row.public_jwk === 'string'
          ? (JSON.parse(row.public_jwk) as Record<string, string>)
          : (row.public_jwk as Record<string, string>);
      expect(Object.keys(jwk).sort()).toEqual(['e', 'kty', 'n']);
    } finally {
      await first.close();
    }

    // A restart reads the same development key and signs with the same stored key.
    const second = await createTestApp(env());
    try {
      const res = await second
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
      expect(headerOf(res.body.access_token as string).kid).toBe(kid);
    } finally {
      await second.close();
    }

    // Another KEYS_ENCRYPTION_KEY cannot decrypt them: the start stops and names the key.
    await expect(
      createTestApp({ ...env(), KEYS_ENCRYPTION_KEY }),
    ).rejects.toThrow(
      /KEYS_ENCRYPTION_KEY: it does not decrypt the signing key .+ stored in the database/,
    );
  });
});
