import {
  createTestApp,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

interface Sample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}
// The package ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus = require('parse-prometheus-text-format') as (
  text: string,
) => MetricFamily[];

interface Scrape {
  /** Family name → type, from the text as served. */
  types: Map<string, string>;
  /** Series name (histograms as their _bucket, _sum and _count series) → samples. */
  series: Map<string, Sample[]>;
}

/**
 * Parses with parse-prometheus-text-format. That parser folds a labelled histogram into one unlabelled sample
 * (prom2json's shape), so a second pass declares histograms untyped to read their _bucket/_sum/_count series
 * with labels; both passes must parse.
 */
function parseMetrics(text: string): Scrape {
  const types = new Map(parsePrometheus(text).map((f) => [f.name, f.type]));
  const series = new Map<string, Sample[]>();
  for (const family of parsePrometheus(
    text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'),
  ))
    series.set(family.name, [
      ...(series.get(family.name) ?? []),
      ...family.metrics,
    ]);
  return { types, series };
}

async function scrape(t: TestApp, authorization?: string): Promise<Scrape> {
  const req = t.http().get('/metrics');
  if (authorization) void req.set('authorization', authorization);
  const res = await req.expect(200);
  expect(res.headers['content-type']).toMatch(
    /^text\/plain; version=0\.0\.4; charset=utf-8/,
  );
  return parseMetrics(res.text);
}

function samples(
  scraped: Scrape,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return (scraped.series.get(name) ?? []).filter((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
  );
}

/** The value of the one series matching the labels (0 when it does not exist yet). */
function value(
  scraped: Scrape,
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = samples(scraped, name, labels);
  expect(found.length).toBeLessThanOrEqual(1);
  return Number(found[0]?.value ?? 0);
}

describe('GET /metrics (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves Prometheus text with the Node process metrics and every Gatehouse family', async () => {
    const { types, series } = await scrape(t);
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      expect(series.has(name)).toBe(true);
    expect(types.get('gatehouse_http_request_duration_seconds')).toBe(
      'HISTOGRAM',
    );
    expect(types.get('gatehouse_active_sessions')).toBe('GAUGE');
    for (const name of [
      'gatehouse_login_attempts_total',
      'gatehouse_token_refreshes_total',
      'gatehouse_lockouts_total',
      'gatehouse_token_verification_failures_total',
      'gatehouse_audit_events_dropped_total',
    ])
      expect(types.get(name)).toBe('COUNTER');
    // Outcomes exist at zero before they first happen, so rate() works from the start.
    for (const outcome of ['rotated', 'grace', 'reuse'])
      expect(
        samples({ types, series }, 'gatehouse_token_refreshes_total', {
          outcome,
        }),
      ).toEqual([{ labels: { outcome }, value: '0' }]);
  });

  it('times requests by route template and status, never by raw path', async () => {
    const before = await scrape(t);
    const loginCount = (scraped: Scrape, status: string): number =>
      value(scraped, 'gatehouse_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/auth/login',
        status_code: status,
      });
    const { access } = await registerAndLogin(t);
    await t
      .http()
      .post('/auth/login')
      .send({ username: 'nobody-here', password: 'a wrong password' })
      .expect(401);
    await t
      .http()
      .delete('/auth/sessions/00000000-0000-4000-8000-000000000000')
      .set('authorization', `Bearer ${access}`)
      .expect(404);
    await t.http().get('/no/such/route/123').expect(404);

    const after = await scrape(t);
    expect(loginCount(after, '200')).toBe(loginCount(before, '200') + 1);
    expect(loginCount(after, '401')).toBe(loginCount(before, '401') + 1);
    const routes = samples(
      after,
      'gatehouse_http_request_duration_seconds_count',
    ).map((m) => m.labels?.route);
    expect(routes).toContain('/auth/sessions/:id');
    expect(routes).toContain('unmatched');
    expect(routes.some((r) => r?.includes('00000000'))).toBe(false);
    expect(routes.some((r) => r?.includes('/no/such'))).toBe(false);
    const login = { route: '/auth/login', status_code: '200' };
    expect(
      value(after, 'gatehouse_http_request_duration_seconds_sum', login),
    ).toBeGreaterThan(0);
    expect(
      value(after, 'gatehouse_http_request_duration_seconds_bucket', {
        ...login,
        le: '+Inf',
      }),
    ).toBe(loginCount(after, '200'));
  });

  it('counts active sessions from a cached query that a scrape storm does not repeat', async () => {
    t.clock.advance(60);
    const before = value(await scrape(t), 'gatehouse_active_sessions');
    await registerAndLogin(t);
    // Within the cache window the value is unchanged, however often Prometheus asks.
    const scrapes = await Promise.all([scrape(t), scrape(t), scrape(t)]);
    for (const s of scrapes)
      expect(value(s, 'gatehouse_active_sessions')).toBe(before);
    t.clock.advance(16);
    expect(value(await scrape(t), 'gatehouse_active_sessions')).toBe(
      before + 1,
    );
  });

  it('merges the login failures that answer the same 401 when no token authenticated the scrape', async () => {
    const before = await scrape(t);
    const { user } = await registerAndLogin(t);
    await t
      .http()
      .post('/auth/login')
      .send({ username: user.username, password: 'not the password at all' })
      .expect(401);
    await t
      .http()
      .post('/auth/login')
      .send({ username: 'nobody-at-all', password: 'not the password at all' })
      .expect(401);
    const after = await scrape(t);
    const outcomes = samples(after, 'gatehouse_login_attempts_total').map(
      (m) => m.labels?.outcome,
    );
    expect(outcomes.sort()).toEqual(['failed', 'locked_out', 'succeeded']);
    const moved = (outcome: string) =>
      value(after, 'gatehouse_login_attempts_total', { outcome }) -
      value(before, 'gatehouse_login_attempts_total', { outcome });
    expect(moved('succeeded')).toBe(1);
    expect(moved('failed')).toBe(2);
  });

  it('counts refresh outcomes and refused access tokens by reason', async () => {
    const before = await scrape(t);
    const { access, refresh } = await registerAndLogin(t);
    const rotated = await t
      .http()
      .post('/auth/refresh')
      .send({ refresh_token: refresh })
      .expect(200);
    // Inside the grace window the same token gets the same pair; after it, it is reuse.
    await t
      .http()
      .post('/auth/refresh')
      .send({ refresh_token: refresh })
      .expect(200);
    t.clock.advance(3600);
    await t
      .http()
      .post('/auth/refresh')
      .send({ refresh_token: refresh })
      .expect(401);
    await t.http().get('/auth/me').expect(401);
    await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${access}x`)
      .expect(401);
    expect(rotated.body.refresh_token).toBeDefined();
    const after = await scrape(t);
    const moved = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    expect(
      moved('gatehouse_token_refreshes_total', { outcome: 'rotated' }),
    ).toBe(1);
    expect(moved('gatehouse_token_refreshes_total', { outcome: 'grace' })).toBe(
      1,
    );
    expect(moved('gatehouse_token_refreshes_total', { outcome: 'reuse' })).toBe(
      1,
    );
    expect(
      moved('gatehouse_token_verification_failures_total', {
        reason: 'missing',
      }),
    ).toBe(1);
    expect(
      moved('gatehouse_token_verification_failures_total', {
        reason: 'invalid',
      }),
    ).toBe(1);
  });

  it('counts verified-token cache hits and misses: a new token misses once, then hits', async () => {
    const { access } = await registerAndLogin(t);
    const before = await scrape(t);
    for (let i = 0; i < 3; i += 1)
      await t
        .http()
        .get('/auth/me')
        .set('authorization', `Bearer ${access}`)
        .expect(200);
    const after = await scrape(t);
    const moved = (name: string) => value(after, name) - value(before, name);
    expect(after.types.get('gatehouse_verified_token_cache_hits_total')).toBe(
      'COUNTER',
    );
    expect(moved('gatehouse_verified_token_cache_misses_total')).toBe(1);
    expect(moved('gatehouse_verified_token_cache_hits_total')).toBe(2);
    expect(value(after, 'gatehouse_verified_token_cache_entries')).toBe(
      value(before, 'gatehouse_verified_token_cache_entries') + 1,
    );
  });
});

describe('GET /metrics protection (e2e)', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';

  it('requires the bearer METRICS_TOKEN when one is set', async () => {
    const t = await createTestApp({ METRICS_TOKEN: TOKEN });
    try {
      const missing = await t.http().get('/metrics').expect(401);
      expect(missing.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      expect(missing.headers['www-authenticate']).toBe(
        'Bearer realm="metrics"',
      );
      expect(missing.body).toMatchObject({ code: 'METRICS.TOKEN_REQUIRED' });
      expect(missing.text).not.toContain('process_cpu');
      for (const wrong of [
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Basic ${TOKEN}`,
        TOKEN,
      ])
        await t.http().get('/metrics').set('authorization', wrong).expect(401);
      const { types } = await scrape(t, `Bearer ${TOKEN}`);
      expect(types.get('gatehouse_login_attempts_total')).toBe('COUNTER');
    } finally {
      await t.close();
    }
  });

  it('counts login outcomes by reason for a scraper that sent the token', async () => {
    const t = await createTestApp({ METRICS_TOKEN: TOKEN });
    try {
      const before = await scrape(t, `Bearer ${TOKEN}`);
      const { user } = await registerAndLogin(t);
      await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: 'not the password at all' })
        .expect(401);
      await t
        .http()
        .post('/auth/login')
        .send({
          username: 'nobody-at-all',
          password: 'not the password at all',
        })
        .expect(401);
      const after = await scrape(t, `Bearer ${TOKEN}`);
      const moved = (outcome: string) =>
        value(after, 'gatehouse_login_attempts_total', { outcome }) -
        value(before, 'gatehouse_login_attempts_total', { outcome });
      expect(moved('succeeded')).toBe(1);
      expect(moved('wrong_password')).toBe(1);
      expect(moved('unknown_user')).toBe(1);
      expect(
        samples(after, 'gatehouse_login_attempts_total', { outcome: 'failed' }),
      ).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('answers 403 to everyone in production when no token is set, loopback and forwarded clients alike', async () => {
    const t = await createTestApp({
      NODE_ENV: 'production',
      TRUST_PROXY: '1',
      EMAIL_FEATURES: 'off',
      PASSKEYS: 'off',
    });
    try {
      // supertest connects over loopback; a reverse proxy on the same host does too.
      for (const forwarded of [undefined, '127.0.0.1', '203.0.113.9']) {
        const req = t.http().get('/metrics');
        if (forwarded) void req.set('x-forwarded-for', forwarded);
        const res = await req.expect(403);
        expect(res.body).toMatchObject({
          code: 'METRICS.TOKEN_NOT_CONFIGURED',
        });
        expect(res.text).not.toContain('process_cpu');
      }
    } finally {
      await t.close();
    }
  });

  it('is not part of the OpenAPI document', async () => {
    const t = await createTestApp();
    try {
      const doc = await t.http().get('/docs-json').expect(200);
      expect(Object.keys(doc.body.paths)).not.toContain('/metrics');
    } finally {
      await t.close();
    }
  });
});
