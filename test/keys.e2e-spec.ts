import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
} from 'node:crypto';
import {
  createTestApp,
  newUser,
  registerAndLogin,
  TEST_SECRET,
  type TestApp,
} from './helpers/test-app';
import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import { headerOf, payloadOf } from './helpers/jwt';
import {
  importJose,
  KEYS_ENCRYPTION_KEY,
  PRIVATE_JWK_MEMBERS,
} from './keys-helpers';
import { SigningKeysRepository } from 'src/keys/signing-keys.repository';

jest.setTimeout(120_000);

const JWKS = '/.well-known/jwks.json';

function b64(value: unknown): string {
  return Buffer.from(
    typeof value === 'string' ? value : JSON.stringify(value),
  ).toString('base64url');
}

/** A JWT signed with HMAC-SHA256 over arbitrary key bytes, with any header. */
function hmacToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

async function expect401(t: TestApp, token: string): Promise<void> {
  const res = await t
    .http()
    .get('/auth/me')
    .set('authorization', `Bearer ${token}`);
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toMatch(/^AUTH\.TOKEN_/);
}

describe.each(['HS256', 'RS256', 'ES256'] as const)(
  'signing with %s (e2e)',
  (alg) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        JWT_ALGORITHM: alg,
        KEYS_ENCRYPTION_KEY,
      });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('logs in and reaches /auth/me with a token carrying alg, kid and typ', async () => {
      const { access, id } = await registerAndLogin(t);
      expect(headerOf(access)).toEqual({
        alg,
        typ: 'at+jwt',
        kid: expect.stringMatching(/^[A-Za-z0-9_-]{16,64}$/),
      });
      const me = await t
        .http()
        .get('/auth/me')
        .set('authorization', `Bearer ${access}`)
        .expect(200);
      expect(me.body.id).toBe(id);
    });

    it('publishes only public parameters in the JWKS, cacheable, and none for HS256', async () => {
      const { access } = await registerAndLogin(t);
      const res = await t.http().get(JWKS).expect(200);
      expect(res.headers['cache-control']).toBe('public, max-age=900');
      const keys = res.body.keys as Record<string, string>[];
      if (alg === 'HS256') {
        expect(keys).toEqual([]);
        return;
      }
      expect(keys).toHaveLength(1);
      const expected =
        alg === 'RS256'
          ? { kty: 'RSA', n: expect.any(String), e: 'AQAB' }
          : {
              kty: 'EC',
              crv: 'P-256',
              x: expect.any(String),
              y: expect.any(String),
            };
      expect(keys[0]).toEqual({
        kid: headerOf(access).kid,
        alg,
        use: 'sig',
        ...expected,
      });
      for (const member of PRIVATE_JWK_MEMBERS)
        expect(keys[0]).not.toHaveProperty(member);
    });

    it('refuses unknown, path-like, SQL-like and non-string kids with 401, never 500', async () => {
      const { access } = await registerAndLogin(t);
      const [h, p, s] = access.split('.');
      const header = headerOf(access);
      const withKid = (kid: unknown): string =>
        `${b64({ ...header, kid })}.${p}.${s}`;
      for (const kid of [
        'no-such-key',
        '../../../../etc/passwd',
        "' OR '1'='1' --",
        '"; drop table signing_keys; --',
        'x'.repeat(5000),
        123,
        { $ne: null },
        ['a'],
        null,
        '',
      ])
        await expect401(t, withKid(kid));
      // The untouched token still works: the refusals above were about the kid alone.
      await t
        .http()
        .get('/auth/me')
        .set('authorization', `Bearer ${h}.${p}.${s}`)
        .expect(200);
    });

    it('never accepts alg "none"', async () => {
      const { access } = await registerAndLogin(t);
      const header = { ...headerOf(access), alg: 'none' };
      const [, p] = access.split('.');
      await expect401(t, `${b64(header)}.${p}.`);
      await expect401(t, `${b64({ ...header, alg: 'None' })}.${p}.`);
    });
  },
);

describe.each(['RS256', 'ES256'] as const)(
  'algorithm confusion with %s keys (e2e)',
  (alg) => {
    let t: TestApp;
    let access: string;
    let jwk: Record<string, string>;
    beforeAll(async () => {
      t = await createTestApp({ JWT_ALGORITHM: alg, KEYS_ENCRYPTION_KEY });
      ({ access } = await registerAndLogin(t));
      jwk = (await t.http().get(JWKS).expect(200)).body.keys[0];
    });
    afterAll(async () => {
      await t?.close();
    });

    it('refuses an HS256 token whose HMAC key is the public key (PEM, DER or JWK bytes)', async () => {
      const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
      const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
      const der = publicKey.export({ format: 'der', type: 'spki' });
      const payload = payloadOf(access);
      const header = { alg: 'HS256', typ: 'at+jwt', kid: jwk.kid };
      for (const secret of [
        pem,
        pem.trim(),
        der,
        JSON.stringify(jwk),
        jwk.n ?? jwk.x,
      ])
        await expect401(t, hmacToken(header, payload, secret));
      // And the app's JWT_SECRET (a leftover from HS256 days) is no key either.
      await expect401(t, hmacToken(header, payload, TEST_SECRET));
    });

    it('refuses a token signed by another key under the published kid', async () => {
      const { SignJWT } = await importJose();
      const other =
        alg === 'RS256'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
          : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const forged = await new SignJWT(payloadOf(access))
        .setProtectedHeader({ alg, typ: 'at+jwt', kid: jwk.kid })
        .sign(createPrivateKey(other.export({ format: 'pem', type: 'pkcs8' })));
      await expect401(t, forged);
    });

    it('refuses the other asymmetric algorithm under the published kid', async () => {
      const { SignJWT } = await importJose();
      const otherAlg = alg === 'RS256' ? 'ES256' : 'RS256';
      const key =
        otherAlg === 'RS256'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
          : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const token = await new SignJWT(payloadOf(access))
        .setProtectedHeader({ alg: otherAlg, typ: 'at+jwt', kid: jwk.kid })
        .sign(key);
      await expect401(t, token);
    });

    it('re-reads the key table at most once for a burst of random kids', async () => {
      const repository = t.get(SigningKeysRepository);
      const listAll = jest.spyOn(repository, 'listAll');
      t.clock.advance(10);
      const [, p, s] = access.split('.');
      const burst = (): Promise<unknown> =>
        Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            t
              .http()
              .get('/auth/me')
              .set(
                'authorization',
                `Bearer ${b64({ alg, typ: 'at+jwt', kid: `random-${i}-${Math.random()}` })}.${p}.${s}`,
              )
              .expect(401),
          ),
        );
      await burst();
      await burst();
      expect(listAll.mock.calls.length).toBe(1);
      listAll.mockRestore();
    });
  },
);

describe('an independent verifier (jose + remote JWKS) across a rotation (e2e)', () => {
  const PORT = 4701;
  let t: TestApp;
  beforeAll(async () => {
    t = await createAppWithAdmin({
      JWT_ALGORITHM: 'ES256',
      KEYS_ENCRYPTION_KEY,
      JWT_ISSUER: 'https://auth.example.test',
      JWT_AUDIENCE: 'orders-api',
      JWT_KEY_PUBLISH_AHEAD: '1h',
    });
    await t.app.listen(PORT, '127.0.0.1');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('verifies tokens before, during and after a rotation with nothing but the JWKS URL', async () => {
    const jose = await importJose();
    const jwksUrl = new URL(`http://127.0.0.1:${PORT}${JWKS}`);
    // cooldownDuration 0: refetch as soon as an unknown kid shows up (the default waits 30 s).
    const remote = jose.createRemoteJWKSet(jwksUrl, { cooldownDuration: 0 });
    const options = {
      issuer: 'https://auth.example.test',
      audience: 'orders-api',
      algorithms: ['ES256'],
      typ: 'at+jwt',
    };
    const user = newUser();
    const { access: before, id } = await registerAndLogin(t, user);
    const verified = await jose.jwtVerify(before, remote, options);
    expect(verified.payload.sub).toBe(id);
    expect(verified.protectedHeader.alg).toBe('ES256');

    const admin = await loginAdmin(t);
    const rotated = await t
      .http()
      .post('/admin/keys/rotate')
      .set('authorization', `Bearer ${admin.access}`)
      .send({})
      .expect(200);
    expect(rotated.body.state).toBe('pending');
    const oldKid = headerOf(before).kid;
    expect(rotated.body.kid).not.toBe(oldKid);

    // Published ahead: both keys are in the JWKS, and tokens are still signed with the old one.
    const jwks = await t.http().get(JWKS).expect(200);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid).sort()).toEqual(
      [oldKid, rotated.body.kid].sort(),
    );
    const during = await registerAndLogin(t);
    expect(headerOf(during.access).kid).toBe(oldKid);
    await jose.jwtVerify(during.access, remote, options);

    t.clock.advance(3600);
    const after = await registerAndLogin(t);
    expect(headerOf(after.access).kid).toBe(rotated.body.kid);
    await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${after.access}`)
      .expect(200);
    // The same remote set (it cached the JWKS before the rotation) and a fresh one both verify old and new tokens.
    const fresh = jose.createRemoteJWKSet(jwksUrl);
    for (const token of [before, after.access]) {
      await jose.jwtVerify(token, remote, options);
      await jose.jwtVerify(token, fresh, options);
    }
    // A token with a kid the JWKS does not have fails the independent verifier too.
    const [, p, s] = after.access.split('.');
    const bogus = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: 'bogus' })}.${p}.${s}`;
    await expect(jose.jwtVerify(bogus, fresh, options)).rejects.toThrow();
  });
});

describe('POST /admin/keys/rotate (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createAppWithAdmin({
      JWT_ALGORITHM: 'RS256',
      KEYS_ENCRYPTION_KEY,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('needs a token (401) and the admin role (403)', async () => {
    await t.http().post('/admin/keys/rotate').send({}).expect(401);
    await t.http().get('/admin/keys').expect(401);
    const { access } = await registerAndLogin(t);
    const res = await t
      .http()
      .post('/admin/keys/rotate')
      .set('authorization', `Bearer ${access}`)
      .send({})
      .expect(403);
    expect(res.body.code).toBe('AUTH.INSUFFICIENT_ROLE');
  });

  it('rotates immediately on request: the new key signs at once, the old one keeps verifying', async () => {
    const admin = await loginAdmin(t);
    const user = newUser();
    const { access: old } = await registerAndLogin(t, user);
    const res = await t
      .http()
      .post('/admin/keys/rotate')
      .set('authorization', `Bearer ${admin.access}`)
      .send({ immediate: true })
      .expect(200);
    expect(res.body).toEqual({
      kid: expect.any(String),
      alg: 'RS256',
      state: 'active',
      published_at: expect.any(String),
      activates_at: expect.any(String),
    });
    const next = await registerAndLogin(t);
    expect(headerOf(next.access).kid).toBe(res.body.kid);
    await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${old}`)
      .expect(200);
    const keys = await t
      .http()
      .get('/admin/keys')
      .set('authorization', `Bearer ${admin.access}`)
      .expect(200);
    expect(
      keys.body.map((k: { kid: string; state: string }) => [k.kid, k.state]),
    ).toEqual([
      [headerOf(old).kid, 'retired'],
      [res.body.kid, 'active'],
    ]);
    expect(keys.body[0].retired_at).toBe(res.body.activates_at);
  });

  it('answers a second publish-ahead rotation with the key already pending, and promotes it when immediate', async () => {
    const admin = await loginAdmin(t);
    const rotate = (immediate: boolean) =>
      t
        .http()
        .post('/admin/keys/rotate')
        .set('authorization', `Bearer ${admin.access}`)
        .send({ immediate })
        .expect(200);
    const first = await rotate(false);
    const second = await rotate(false);
    expect(second.body.kid).toBe(first.body.kid);
    expect(second.body.state).toBe('pending');
    const promoted = await rotate(true);
    expect(promoted.body).toMatchObject({
      kid: first.body.kid,
      state: 'active',
    });
    const { access } = await registerAndLogin(t);
    expect(headerOf(access).kid).toBe(first.body.kid);
  });

  it('validates the body', async () => {
    const admin = await loginAdmin(t);
    const res = await t
      .http()
      .post('/admin/keys/rotate')
      .set('authorization', `Bearer ${admin.access}`)
      .send({ immediate: 'yes', extra: 1 })
      .expect(400);
    expect(
      res.body.errors.map((e: { field: string }) => e.field).sort(),
    ).toEqual(['extra', 'immediate']);
  });
});

// Its own app, created after the other closed: passport keeps one global 'jwt' strategy (the last app's).
describe('POST /admin/keys/rotate with HS256 (e2e)', () => {
  let hs: TestApp;
  beforeAll(async () => {
    hs = await createAppWithAdmin();
  });
  afterAll(async () => {
    await hs?.close();
  });

  it('refuses with 409 when the key is JWT_SECRET (HS256)', async () => {
    const admin = await loginAdmin(hs);
    const res = await hs
      .http()
      .post('/admin/keys/rotate')
      .set('authorization', `Bearer ${admin.access}`)
      .send({})
      .expect(409);
    expect(res.body.code).toBe('KEYS.ROTATION_UNAVAILABLE');
    const keys = await hs
      .http()
      .get('/admin/keys')
      .set('authorization', `Bearer ${admin.access}`)
      .expect(200);
    expect(keys.body).toEqual([
      expect.objectContaining({ alg: 'HS256', state: 'active' }),
    ]);
  });
});
