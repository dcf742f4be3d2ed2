import { createTestApp, type TestApp } from './helpers/test-app';

/** A refresh with a token of the wrong shape: a 401 without a query, rate-limited like login. */
function refreshFrom(t: TestApp, ip: string): Promise<number> {
  return t
    .http()
    .post('/auth/refresh')
    .set('x-forwarded-for', ip)
    .send({ refresh_token: 'not-a-refresh-token' })
    .then((res) => res.status);
}

/** Fires one refresh from each address at once; returns how many were refused with 429. */
async function limitedOf(t: TestApp, ips: string[]): Promise<number> {
  const statuses = await Promise.all(ips.map((ip) => refreshFrom(t, ip)));
  expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  return statuses.filter((s) => s === 429).length;
}

async function metricValue(t: TestApp, name: string): Promise<number> {
  const text = (await t.http().get('/metrics').expect(200)).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('per-address rate limits (e2e)', () => {
  describe('with the default IPv6 prefix', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ TRUST_PROXY: '1', RATE_LIMIT_MAX: '2' });
    });
    afterAll(async () => {
      await t.close();
    });

    it('counts every address of one IPv6 /64 as one client, racing or not', async () => {
      const sameSlash64 = ['a', 'b', 'c', 'd', 'e'].map(
        (host) => `2001:db8:1:2::${host}`,
      );
      expect(await limitedOf(t, sameSlash64)).toBe(3);
      // The neighbouring /64 is another client.
      expect(await refreshFrom(t, '2001:db8:1:3::a')).toBe(401);
      // IPv4 addresses are each their own client.
      expect(await limitedOf(t, ['192.0.2.1', '192.0.2.2'])).toBe(0);
    });
  });

  it('groups IPv6 by RATE_LIMIT_IPV6_PREFIX', async () => {
    const t = await createTestApp({
      TRUST_PROXY: '1',
      RATE_LIMIT_MAX: '2',
      RATE_LIMIT_IPV6_PREFIX: '48',
    });
    try {
      const sameSlash48 = ['1', '2', '3', '4'].map(
        (subnet) => `2001:db8:7:${subnet}::1`,
      );
      expect(await limitedOf(t, sameSlash48)).toBe(2);
      expect(await refreshFrom(t, '2001:db8:8:1::1')).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('holds at most RATE_LIMIT_LOCAL_MAX_KEYS counters: new clients then share one, known clients keep theirs', async () => {
    const t = await createTestApp({
      TRUST_PROXY: '1',
      RATE_LIMIT_MAX: '2',
      RATE_LIMIT_LOCAL_MAX_KEYS: '100',
    });
    try {
      const known = Array.from({ length: 100 }, (_, i) => `198.51.100.${i}`);
      expect(await limitedOf(t, known)).toBe(0);
      expect(
        await metricValue(t, 'gatehouse_rate_limit_store_full_total'),
      ).toBe(0);
      // The store is full: four new clients at once share one counter with the limit of one client.
      const newcomers = [
        '203.0.113.1',
        '203.0.113.2',
        '203.0.113.3',
        '203.0.113.4',
      ];
      expect(await limitedOf(t, newcomers)).toBe(2);
      expect(
        await metricValue(t, 'gatehouse_rate_limit_store_full_total'),
      ).toBe(4);
      // A known client was not evicted to make room: its count goes on (2 of 2), then it is limited.
      expect(await refreshFrom(t, known[0])).toBe(401);
      expect(await refreshFrom(t, known[0])).toBe(429);
    } finally {
      await t.close();
    }
  });
});
