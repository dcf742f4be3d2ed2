import { expectProblem, fieldsOf } from './helpers/http';
import {
  createTestApp,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

const EMOJI = '\u{1F600}';

/** What registration and login accept and refuse, field by field, and how duplicates are refused. */
describe('foundation HTTP behaviour (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('POST /auth/register validation', () => {
    const valid = (): Record<string, unknown> => {
      const { username, email, password } = newUser('reg');
      return { username, email, password };
    };

    it.each([
      ['username missing', { username: undefined }, 'username'],
      ['username empty', { username: '' }, 'username'],
      ['username too short', { username: 'ab' }, 'username'],
      ['username too long', { username: 'a'.repeat(33) }, 'username'],
      ['username with a space', { username: 'ada lovelace' }, 'username'],
      ['username with a slash', { username: 'ada/x' }, 'username'],
      ['username not a string', { username: 12345 }, 'username'],
      ['email missing', { email: undefined }, 'email'],
      ['email invalid', { email: 'not-an-email' }, 'email'],
      ['email too long', { email: `${'a'.repeat(250)}@example.com` }, 'email'],
      ['password missing', { password: undefined }, 'password'],
      ['password empty', { password: '' }, 'password'],
      ['password 11 characters', { password: 'a'.repeat(11) }, 'password'],
      ['password 129 characters', { password: 'a'.repeat(129) }, 'password'],
      ['password not a string', { password: 123456789012345 }, 'password'],
    ])('rejects %s with a per-field error', async (_name, patch, field) => {
      const body = { ...valid(), ...patch };
      const res = await t.http().post('/auth/register').send(body);
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(problem)).toEqual([field]);
      expect(problem.errors?.[0].message).toEqual(expect.any(String));
    });

    it('reports every missing field at once, one message each', async () => {
      const res = await t.http().post('/auth/register').send({});
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual(
        expect.arrayContaining([
          { field: 'username', message: 'username is required' },
          { field: 'email', message: 'email is required' },
          { field: 'password', message: 'password is required' },
        ]),
      );
      expect(problem.errors).toHaveLength(3);
    });

    it.each([
      ['a short username', { username: 'ab' }, /username must be longer/],
      ['a bad character', { username: 'a b c' }, /may contain only/],
      ['a short password', { password: 'short' }, /between 12 and 128/],
      ['a number as username', { username: 42 }, /must be a string/],
    ])('explains %s in the field message', async (_name, patch, message) => {
      const res = await t
        .http()
        .post('/auth/register')
        .send({ ...valid(), ...patch });
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toHaveLength(1);
      expect(problem.errors?.[0].message).toMatch(message);
    });

    it('accepts the username boundaries (3 and 32 characters, all allowed symbols)', async () => {
      const short = `a${Math.random().toString(36).slice(2, 4)}`;
      await t
        .http()
        .post('/auth/register')
        .send({ ...valid(), username: short })
        .expect(201);
      const long = `A.b-c_${Math.random().toString(36).slice(2)}`
        .padEnd(32, 'z')
        .slice(0, 32);
      await t
        .http()
        .post('/auth/register')
        .send({ ...valid(), username: long })
        .expect(201);
    });

    it.each([
      ['roles', { roles: ['admin'] }],
      ['id', { id: '00000000-0000-4000-8000-000000000000' }],
      ['an unknown field', { nickname: 'ada' }],
      ['disabled', { disabled: false }],
    ])('rejects a body that sets %s', async (_name, extra) => {
      const base = valid();
      const res = await t
        .http()
        .post('/auth/register')
        .send({ ...base, ...extra });
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(problem)).toEqual(Object.keys(extra));
      // Nothing was created: the same username and email are still free.
      await t.http().post('/auth/register').send(base).expect(201);
    });

    it('gives new users only the role user', async () => {
      const res = await t
        .http()
        .post('/auth/register')
        .send(valid())
        .expect(201);
      expect(res.body.roles).toEqual(['user']);
      expect(JSON.stringify(res.body)).not.toMatch(/password|argon2|hash/i);
    });
  });

  describe('passwords in Unicode code points', () => {
    it('accepts 12 emoji (24 UTF-16 units, 48 bytes) and rejects 11', async () => {
      const ok = { ...newUser('emoji'), password: EMOJI.repeat(12) };
      await t.http().post('/auth/register').send(ok).expect(201);
      await t
        .http()
        .post('/auth/login')
        .send({ username: ok.username, password: ok.password })
        .expect(200);

      const short = { ...newUser('emoji'), password: EMOJI.repeat(11) };
      const res = await t.http().post('/auth/register').send(short);
      expect(fieldsOf(expectProblem(res, 400))).toEqual(['password']);
    });

    it('accepts 128 code points, never truncated, and rejects 129', async () => {
      const password = `${'é'.repeat(64)}${EMOJI.repeat(64)}`;
      const ok = { ...newUser('long'), password };
      await t.http().post('/auth/register').send(ok).expect(201);
      // A prefix must not log in: the whole password is hashed.
      await t
        .http()
        .post('/auth/login')
        .send({ username: ok.username, password: password.slice(0, -2) })
        .expect(401);
      await t
        .http()
        .post('/auth/login')
        .send({ username: ok.username, password })
        .expect(200);

      const over = { ...newUser('long'), password: `${password}x` };
      const res = await t.http().post('/auth/register').send(over);
      expect(fieldsOf(expectProblem(res, 400))).toEqual(['password']);
    });

    it('does not count 129 emoji as within 128 characters for login either', async () => {
      const res = await t
        .http()
        .post('/auth/login')
        .send({ username: 'someone', password: EMOJI.repeat(129) });
      expect(fieldsOf(expectProblem(res, 400))).toEqual(['password']);
    });
  });

  describe('POST /auth/login validation', () => {
    it.each([
      ['username missing', { password: 'whatever password' }, ['username']],
      [
        'username empty',
        { username: '', password: 'whatever password' },
        ['username'],
      ],
      ['password missing', { username: 'ada' }, ['password']],
      ['password empty', { username: 'ada', password: '' }, ['password']],
      ['both missing', {}, ['password', 'username']],
      [
        'username not a string',
        { username: ['ada'], password: 'whatever password' },
        ['username'],
      ],
      [
        'an unknown field',
        { username: 'ada', password: 'whatever password', remember: true },
        ['remember'],
      ],
    ])('rejects %s with 400', async (_name, body, fields) => {
      const res = await t.http().post('/auth/login').send(body);
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(problem).sort()).toEqual(fields);
    });

    it('names the missing username the way the tutorial does', async () => {
      const res = await t
        .http()
        .post('/auth/login')
        .send({ password: 'whatever password' });
      const problem = expectProblem(res, 400);
      expect(problem.errors).toEqual([
        { field: 'username', message: 'username is required' },
      ]);
    });

    it('marks token responses as not cacheable', async () => {
      const { user } = await registerAndLogin(t);
      const res = await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    it('does not echo a submitted password in a validation error', async () => {
      const secret = 'x'.repeat(200);
      const res = await t
        .http()
        .post('/auth/login')
        .send({ username: 'ada', password: secret });
      expectProblem(res, 400);
      expect(res.text).not.toContain(secret);
    });
  });

  describe('duplicate users', () => {
    const GENERIC = 'username or email already registered';

    it('refuses the same username in another case with the generic detail', async () => {
      const first = newUser('dup');
      await t.http().post('/auth/register').send(first).expect(201);
      const clash = {
        ...newUser('dup'),
        username: first.username.toUpperCase(),
      };
      const res = await t.http().post('/auth/register').send(clash);
      expect(expectProblem(res, 409).detail).toBe(GENERIC);
    });

    it('refuses the same email in another case with the same body', async () => {
      const first = newUser('dup');
      await t.http().post('/auth/register').send(first).expect(201);
      const byEmail = await t
        .http()
        .post('/auth/register')
        .send({ ...newUser('dup'), email: first.email.toUpperCase() });
      const byName = await t
        .http()
        .post('/auth/register')
        .send({ ...newUser('dup'), username: first.username });
      const emailProblem = expectProblem(byEmail, 409);
      const nameProblem = expectProblem(byName, 409);
      expect(emailProblem).toEqual(nameProblem);
      expect(emailProblem.detail).toBe(GENERIC);
    });

    it('lets exactly one of two identical concurrent registrations win', async () => {
      const user = newUser('race');
      const results = await Promise.all([
        t.http().post('/auth/register').send(user),
        t.http().post('/auth/register').send(user),
      ]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409]);
      const loser = results.find((r) => r.status === 409)!;
      expect(expectProblem(loser, 409).detail).toBe(GENERIC);
    });

    it('lets exactly one of two registrations that differ only in case win', async () => {
      const user = newUser('race');
      const results = await Promise.all([
        t.http().post('/auth/register').send(user),
        t
          .http()
          .post('/auth/register')
          .send({
            ...newUser('race'),
            username: user.username.toUpperCase(),
          }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    });
  });
});

describe('foundation HTTP configuration (e2e)', () => {
  it('answers registration with 403 when AUTH_REGISTRATION=closed, and login still works', async () => {
    const t = await createTestApp({ AUTH_REGISTRATION: 'closed' });
    try {
      const res = await t.http().post('/auth/register').send(newUser());
      const problem = expectProblem(res, 403, 'AUTH.REGISTRATION_CLOSED');
      expect(problem.detail).toBe('Registration is closed on this server.');
      // The body is validated before the policy is applied, as on every route.
      const bad = await t.http().post('/auth/register').send({});
      expectProblem(bad, 400, 'VALIDATION_FAILED');
      await t
        .http()
        .post('/auth/login')
        .send({ username: 'nobody', password: 'whatever password' })
        .expect(401);
    } finally {
      await t.close();
    }
  });

  it('raises the minimum password length with PASSWORD_MIN_LENGTH, in code points', async () => {
    const t = await createTestApp({ PASSWORD_MIN_LENGTH: '16' });
    try {
      const short = { ...newUser('min'), password: 'a'.repeat(15) };
      const res = await t.http().post('/auth/register').send(short);
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([
        {
          field: 'password',
          message: 'password must be at least 16 characters',
        },
      ]);
      const emoji15 = { ...newUser('min'), password: EMOJI.repeat(15) };
      expectProblem(await t.http().post('/auth/register').send(emoji15), 400);
      await t
        .http()
        .post('/auth/register')
        .send({ ...newUser('min'), password: EMOJI.repeat(16) })
        .expect(201);
    } finally {
      await t.close();
    }
  });
});
