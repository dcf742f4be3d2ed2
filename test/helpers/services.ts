import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';

/**
 * Reachability of the PostgreSQL and Redis servers some e2e specs need. Jest decides which tests to skip while
 * it collects them, synchronously, so the probe runs in a short-lived child process.
 */

export const TEST_PG_URL =
  process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL =
  process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const PROBE = `
const [kind, url] = process.argv.slice(1);
async function probe() {
  if (kind === 'postgres') {
    const { Client } = require('pg');
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await client.connect();
    try { await client.query('select 1'); } finally { await client.end(); }
    return;
  }
  const Redis = require('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0,
    enableOfflineQueue: false, retryStrategy: () => null,
  });
  let cause;
  redis.on('error', (error) => { cause = error; });
  try { await redis.connect(); await redis.ping(); }
  catch (error) { throw cause || error; }
  finally { redis.disconnect(); }
}
probe().then(
  () => process.exit(0),
  (error) => { process.stdout.write(String((error && error.message) || error || 'unreachable')); process.exit(1); },
);
`;

function probe(kind: 'postgres' | 'redis', url: string): string | undefined {
  const result = spawnSync(process.execPath, ['-e', PROBE, kind, url], {
    cwd: join(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.status === 0) return undefined;
  const detail =
    result.stdout.trim() ||
    result.error?.message ||
    `probe exited with ${result.status ?? result.signal}`;
  return `${kind} at ${redact(url)} is unreachable: ${detail}`;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Why PostgreSQL cannot be used (TEST_PG_URL), or undefined when it answers. */
export function postgresUnavailable(url = TEST_PG_URL): string | undefined {
  return probe('postgres', url);
}

/** Why Redis cannot be used (TEST_REDIS_URL), or undefined when it answers. */
export function redisUnavailable(url = TEST_REDIS_URL): string | undefined {
  return probe('redis', url);
}

/** A Redis URL on the given logical database, so tests do not share keys with a development server. */
export function redisUrlWithDb(db: number, url = TEST_REDIS_URL): string {
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

/**
 * `describe` for specs that need Redis: they get a client on logical database `db` (see redisUrlWithDb), or are
 * skipped with the reason printed when Redis does not answer.
 */
export function describeWithRedis(
  name: string,
  db: number,
  specs: (client: () => Redis) => void,
): void {
  const url = redisUrlWithDb(db);
  const unavailable = redisUnavailable(url);
  if (unavailable) process.stdout.write(`${name} skipped: ${unavailable}\n`);
  (unavailable ? describe.skip : describe)(name, () => {
    let client: Redis;
    beforeAll(() => {
      client = new Redis(url, { maxRetriesPerRequest: 0 });
    });
    afterAll(() => client.quit());
    specs(() => client);
  });
}
