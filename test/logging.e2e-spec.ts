import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { LOG_DESTINATION } from 'src/logging/log-destination';
import { AuthService } from 'src/auth/auth.service';
import {
  createTestApp,
  DatabaseService,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every byte the application logs, as written (pino writes one JSON line per call). */
class CapturedLog extends Writable {
  text = '';
  _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/** nestjs-pino keeps one logger per process, so this file builds exactly one application. */
const createLoggedApp = (log: CapturedLog): Promise<TestApp> =>
  createTestApp(
    { LOG_LEVEL: 'trace', LOG_FORMAT: 'json' },
    { overrides: [[LOG_DESTINATION, log]] },
  );

describe('structured logs (e2e)', () => {
  const log = new CapturedLog();
  let t: TestApp;
  const http = () => t.http();

  beforeAll(async () => {
    t = await createLoggedApp(log);
  });
  afterAll(async () => {
    await t.close();
  });

  it('writes no password or token anywhere while a user registers, logs in, refreshes, changes password and logs out', async () => {
    const user = newUser('logs');
    const newPassword = `${user.password}-but-newer`;
    const cookieSecret = 'cookie-secret-value-1234567890';
    const querySecret = 'query-secret-value-1234567890';
    const start = log.text.length;

    await http().post('/auth/register').send(user).expect(201);
    const login = await http()
      .post('/auth/login')
      .send({ username: user.username, password: user.password })
      .expect(200);
    const access = login.body.access_token as string;
    const refresh = login.body.refresh_token as string;
    await http()
      .get('/auth/me')
      .set('authorization', `Bearer ${access}`)
      .set('cookie', `session=${cookieSecret}`)
      .expect(200);
    const refreshed = await http()
      .post('/auth/refresh')
      .send({ refresh_token: refresh })
      .expect(200);
    const access2 = refreshed.body.access_token as string;
    const refresh2 = refreshed.body.refresh_token as string;
    // A wrong current password and a malformed body are failure paths that log too.
    await http()
      .post('/auth/password')
      .set('authorization', `Bearer ${access2}`)
      .send({ current_password: newPassword, new_password: user.password })
      .expect(403);
    await http()
      .post('/auth/password')
      .set('authorization', `Bearer ${access2}`)
      .send({ current_password: user.password, new_password: newPassword })
      .expect(204);
    await http()
      .post('/auth/login')
      .send({ username: user.username, password: user.password })
      .expect(401);
    await http()
      .get(`/auth/me?token=${querySecret}&access_token=${access2}`)
      .set('authorization', `Bearer ${access2}`)
      .expect(200);
    await http()
      .post('/auth/logout')
      .set('authorization', `Bearer ${access2}`)
      .expect(204);
    // Replaying the first refresh token after rotation, and a forged bearer token.
    await http().post('/auth/refresh').send({ refresh_token: refresh });
    await http()
      .get('/auth/me')
      .set('authorization', `Bearer ${access}x`)
      .expect(401);

    const written = log.text.slice(start);
    const secrets = {
      password: user.password,
      newPassword,
      access,
      refresh,
      access2,
      refresh2,
      cookieSecret,
      querySecret,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      expect({ name, found: written.includes(secret) }).toEqual({
        name,
        found: false,
      });
    }
    // The capture did see these requests: one completion line each, with the redacted headers in it.
    const lines = log.lines().filter((l) => l.request_id && l.req);
    const seen = lines.map((l) => l.msg);
    expect(seen).toEqual(
      expect.arrayContaining([
        'POST /auth/register 201',
        'POST /auth/login 200',
        'POST /auth/refresh 200',
        'POST /auth/password 204',
        'POST /auth/logout 204',
        'GET /auth/me?token=[Redacted]&access_token=[Redacted] 200',
      ]),
    );
    const meLine = lines.find(
      (l) => (l.req as { headers: Record<string, string> }).headers.cookie,
    );
    expect(
      (meLine?.req as { headers: Record<string, string> }).headers,
    ).toMatchObject({ authorization: '[Redacted]', cookie: '[Redacted]' });
  });

  it('redacts the sensitive keys at any depth in objects the application logs, and tokens inside strings', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA';
    const start = log.text.length;
    new Logger('Probe').log({
      event: 'probe',
      a: { b: { c: { d: { e: { password: 'deep-password-1' } } } } },
      list: [{ refresh_token: 'deep-refresh-2' }, { Authorization: 'x' }],
      headers: { Cookie: 'deep-cookie-3', 'x-keep': 'kept' },
      Current_Password: 'deep-password-4',
      nested: { token: { value: 'deep-token-5' } },
    });
    new Logger('Probe').warn(`refused Bearer ${jwt} from a client`);
    const written = log.text.slice(start);
    for (const secret of [
      'deep-password-1',
      'deep-refresh-2',
      'deep-cookie-3',
      'deep-password-4',
      'deep-token-5',
      jwt,
      'c2lnbmF0dXJlLXNlY3JldA',
    ])
      expect(written).not.toContain(secret);
    const [probe, warning] = log
      .lines()
      .filter((l) => l.context === 'Probe')
      .slice(-2);
    expect(probe).toMatchObject({
      event: 'probe',
      a: { b: { c: { d: { e: { password: '[Redacted]' } } } } },
      list: [{ refresh_token: '[Redacted]' }, { Authorization: '[Redacted]' }],
      headers: { Cookie: '[Redacted]', 'x-keep': 'kept' },
      Current_Password: '[Redacted]',
      nested: { token: '[Redacted]' },
    });
    expect(warning.msg).toBe('refused Bearer [Redacted] from a client');
  });

  it('echoes an acceptable X-Request-Id in the header, the problem body and the request log line', async () => {
    const id = 'trace-Abc_123.456';
    const res = await http()
      .get('/no-such-route')
      .set('x-request-id', id)
      .expect(404);
    expect(res.headers['x-request-id']).toBe(id);
    expect(res.body).toMatchObject({ status: 404, request_id: id });
    const line = log
      .lines()
      .find((l) => l.request_id === id && typeof l.msg === 'string');
    expect(line).toMatchObject({ msg: 'GET /no-such-route 404' });
  });

  it('generates a UUID when X-Request-Id is absent or unacceptable, and uses it everywhere', async () => {
    const absent = await http()
      .post('/auth/login')
      .send({ username: 'nobody-at-all', password: 'whatever password' })
      .expect(401);
    expect(absent.headers['x-request-id']).toMatch(UUID);
    expect(absent.body.request_id).toBe(absent.headers['x-request-id']);

    for (const bad of ['has space', 'a'.repeat(129), 'semi;colon', 'ünïcode']) {
      const res = await http()
        .get('/health/live')
        .set('x-request-id', bad)
        .expect(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
    const longest = 'a'.repeat(128);
    const ok = await http()
      .get('/health/live')
      .set('x-request-id', longest)
      .expect(200);
    expect(ok.headers['x-request-id']).toBe(longest);

    const [first, second] = await Promise.all([
      http().get('/health/live').expect(200),
      http().get('/health/live').expect(200),
    ]);
    expect(first.headers['x-request-id']).not.toBe(
      second.headers['x-request-id'],
    );
  });

  it('writes one JSON line per request with method, route, status, duration and request id', async () => {
    const start = log.lines().length;
    await http()
      .get('/health/live')
      .set('x-request-id', 'one-line')
      .expect(200);
    const lines = log
      .lines()
      .slice(start)
      .filter((l) => l.request_id === 'one-line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'GET /health/live 200',
      req: { method: 'GET', url: '/health/live' },
      res: { status: 200 },
      duration_ms: expect.any(Number),
    });
  });
  it('logs an unexpected failure at error level with the request id, the scrubbed error and the 500 completion line', async () => {
    const { access } = await registerAndLogin(t, newUser('boom'));
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA';
    const spy = jest
      .spyOn(t.get(AuthService), 'me')
      .mockRejectedValueOnce(new Error(`store failed for Bearer ${jwt}`));
    try {
      const res = await http()
        .get('/auth/me')
        .set('authorization', `Bearer ${access}`)
        .set('x-request-id', 'boom-1')
        .expect(500);
      expect(res.body).toMatchObject({ status: 500, request_id: 'boom-1' });
    } finally {
      spy.mockRestore();
    }
    const lines = log.lines().filter((l) => l.request_id === 'boom-1');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        context: 'ProblemDetails',
        msg: 'GET /auth/me failed',
        err: expect.objectContaining({
          message: 'store failed for Bearer [Redacted]',
        }) as unknown,
      }),
      expect.objectContaining({
        level: 50,
        msg: 'GET /auth/me 500',
        res: { status: 500 },
      }),
    ]);
    expect(log.text).not.toContain(jwt);
  });

  it('logs a failing write by SQLSTATE and cause, never its parameters, the argon2 hash or the email', async () => {
    const db = t.get(DatabaseService).db;
    const existing = await registerAndLogin(t, newUser('dbfail'));
    const fresh = newUser('dbfail');
    const newPassword = `${existing.user.password}-changed`;
    // NOT VALID: existing rows stay, every new or updated row fails, and PostgreSQL's error detail then carries
    // the whole failing row, hash and email included; drizzle's message carries the statement's parameters.
    await db.execute(
      sql.raw(
        'alter table users add constraint logs_refuse_writes check (false) not valid',
      ),
    );
    const start = log.text.length;
    try {
      await http()
        .post('/auth/register')
        .set('x-request-id', 'dbfail-register')
        .send(fresh)
        .expect(500);
      await http()
        .post('/auth/password')
        .set('authorization', `Bearer ${existing.access}`)
        .set('x-request-id', 'dbfail-password')
        .send({
          current_password: existing.user.password,
          new_password: newPassword,
        })
        .expect(500);
    } finally {
      await db.execute(
        sql.raw('alter table users drop constraint logs_refuse_writes'),
      );
    }
    const written = log.text.slice(start);
    for (const secret of [
      '$argon2id$',
      fresh.email,
      fresh.username,
      fresh.password,
      existing.user.email,
      existing.user.username,
      existing.user.password,
      newPassword,
      'params',
      'Failing row',
    ])
      expect({ secret, found: written.includes(secret) }).toEqual({
        secret,
        found: false,
      });
    for (const id of ['dbfail-register', 'dbfail-password']) {
      const failure = log
        .lines()
        .find((l) => l.request_id === id && l.context === 'ProblemDetails');
      expect(failure).toMatchObject({
        level: 50,
        err: {
          sqlstate: '23514',
          constraint: 'logs_refuse_writes',
          cause: expect.objectContaining({
            sqlstate: '23514',
            message: expect.stringContaining('logs_refuse_writes') as unknown,
          }) as unknown,
        },
      });
    }
  });
});
