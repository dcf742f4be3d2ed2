'use strict';
// The data behind `npm run bench -- --scale`: two PostgreSQL databases migrated by the build under test, one with
// nothing but what the measurement itself adds ("empty") and one with a million users, live sessions (each with its
// refresh token, stored as Gatehouse stores it: the SHA-256 hex of the token), a hundred thousand active
// revocations and a million audit rows ("1M"). Rows are made with INSERT … SELECT generate_series, never through
// the API. The big load runs once and is kept: a marker row says what was loaded, and a rerun skips it.
const { createHash, randomBytes, randomUUID } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { URL } = require('node:url');
const { Client } = require('pg');
const { PG_URL } = require('./options');

const SIZES = {
  users: 1_000_000,
  sessions: 1_000_000,
  revocations: 100_000,
  audit: 1_000_000,
};
/** Rows the purge jobs have to delete (or clear), topped up before every purge measurement. */
const PURGEABLE = 100_000;
/** Bumped when the loaded rows change shape, so an older load is replaced rather than reused. */
const DATA_VERSION = 1;
const PASSWORD = 'correct horse battery staple scale';
/** Audit rows older than this are purgeable (AUDIT_RETENTION of the run). */
const AUDIT_RETENTION_DAYS = 90;

const BIG_TABLES = [
  'users',
  'sessions',
  'refresh_tokens',
  'revocations',
  'audit_events',
];

function urlFor(database) {
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function connect(database) {
  const client = new Client({
    connectionString: urlFor(database),
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  return client;
}

/** The loader's backend runs at nice 10, so it leaves the CPU to whatever else shares the machine. */
async function niceBackend(client) {
  const { rows } = await client.query('select pg_backend_pid() as pid');
  try {
    execFileSync('renice', ['-n', '10', '-p', String(rows[0].pid)], {
      stdio: 'ignore',
    });
  } catch {
    // Not allowed to renice another user's process: the load still runs, only without the courtesy.
  }
}

async function createDatabase(name, { fresh }) {
  const admin = await connect(new URL(PG_URL).pathname.slice(1) || 'postgres');
  try {
    if (fresh)
      await admin.query(`drop database if exists ${name} with (force)`);
    const { rowCount } = await admin.query(
      'select 1 from pg_database where datname = $1',
      [name],
    );
    if (!rowCount) await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
}

/** Applies the build's migrations, exactly as Gatehouse does at start. */
async function migrate(database, dist) {
  const { drizzle } = require('drizzle-orm/node-postgres');
  const { migrate: run } = require('drizzle-orm/node-postgres/migrator');
  const client = await connect(database);
  try {
    await run(drizzle(client), {
      migrationsFolder: join(dist, 'database/migrations'),
    });
  } finally {
    await client.end();
  }
}

/** The refresh token of loaded session g: 32 bytes, base64url, derived from g (not random: loading is repeatable). */
const sqlRefreshToken = (g) =>
  `rtrim(translate(encode(sha256(convert_to('scale-refresh-' || ${g}, 'UTF8')), 'base64'), '+/', '-_'), '=')`;
const sqlTokenHash = (token) =>
  `encode(sha256(convert_to(${token}, 'UTF8')), 'hex')`;

/** Users g = from..to: id md5('u' || g), username scale<g>, all with one real argon2id hash of PASSWORD. */
async function insertUsers(client, from, to, passwordHash) {
  await client.query(
    `insert into users (id, username, email, password_hash, email_verified_at, created_at, updated_at)
     select md5('u' || g)::uuid, 'scale' || g, 'scale' || g || '@example.com', $3, now() - interval '30 days',
            now() - interval '30 days', now() - interval '30 days'
     from generate_series($1::int, $2::int) g
     on conflict do nothing`,
    [from, to, passwordHash],
  );
}

/** Users 1..count in `database` (the empty database's accounts: the same rows as the first of the big one). */
async function insertUsersInto(database, count, passwordHash) {
  const client = await connect(database);
  try {
    await insertUsers(client, 1, count, passwordHash);
  } finally {
    await client.end();
  }
}

const timed = async (label, log, fn) => {
  const started = Date.now();
  await fn();
  const seconds = (Date.now() - started) / 1000;
  log(`  ${label}: ${seconds.toFixed(1)} s`);
  return seconds;
};

async function readMarker(client) {
  await client.query(
    'create table if not exists bench_scale_marker (id int primary key, loaded jsonb not null)',
  );
  const { rows } = await client.query(
    'select loaded from bench_scale_marker where id = 1',
  );
  return rows[0]?.loaded;
}

/** Re-stamps the active revocations: they are only "active" for one access-token lifetime after each run starts. */
async function refreshRevocations(client, accessTtlSeconds) {
  await client.query(
    `update revocations r set not_before = now(), keep_until = now() + make_interval(secs => $2)
     from generate_series(1, $1::int) g
     where r.subject_id = md5('r' || g)::uuid`,
    [SIZES.revocations, accessTtlSeconds],
  );
}

/**
 * Loads the million-row data set into `database` unless the marker says it is there already at these sizes.
 * Returns { reused, seconds, steps }.
 */
async function loadBig(database, { passwordHash, accessTtlSeconds, log }) {
  const client = await connect(database);
  try {
    await niceBackend(client);
    const want = { ...SIZES, version: DATA_VERSION };
    const have = await readMarker(client);
    // Compared key by key: jsonb does not keep the order the keys were written in.
    if (have && Object.keys(want).every((k) => have[k] === want[k])) {
      // The hash is the one thing a rerun must agree on: the users' password has to verify.
      await client.query(
        `update users set password_hash = $1 where id = md5('u1')::uuid and password_hash <> $1`,
        [passwordHash],
      );
      await refreshRevocations(client, accessTtlSeconds);
      return { reused: true, seconds: 0, steps: {} };
    }
    log(
      `loading ${database}: ${SIZES.users.toLocaleString('en-US')} users, sessions and refresh tokens, ${SIZES.revocations.toLocaleString('en-US')} revocations, ${SIZES.audit.toLocaleString('en-US')} audit rows…`,
    );
    const started = Date.now();
    const steps = {};
    await client.query(
      'truncate users, sessions, refresh_tokens, revocations, audit_events, bench_scale_marker cascade',
    );
    steps.users = await timed('users', log, () =>
      insertUsers(client, 1, SIZES.users, passwordHash),
    );
    steps.sessions = await timed('sessions', log, () =>
      client.query(
        `insert into sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip, amr, auth_time)
         select md5('s' || g)::uuid, md5('u' || g)::uuid, now() - interval '1 day', now() - interval '1 hour',
                now() + interval '300 days', now() + interval '300 days', 'scale-loader', '127.0.0.1', '{pwd}',
                now() - interval '1 day'
         from generate_series(1, $1::int) g`,
        [SIZES.sessions],
      ),
    );
    steps.refreshTokens = await timed('refresh tokens', log, () =>
      client.query(
        `insert into refresh_tokens (id, session_id, token_hash, created_at)
         select md5('t' || g)::uuid, md5('s' || g)::uuid, ${sqlTokenHash(sqlRefreshToken('g'))}, now() - interval '1 hour'
         from generate_series(1, $1::int) g`,
        [SIZES.sessions],
      ),
    );
    // One in twenty is a user-level cut-off (role change, disable); the rest are ended sessions.
    steps.revocations = await timed('revocations', log, () =>
      client.query(
        `insert into revocations (kind, subject_id, not_before, min_token_version, keep_until)
         select case when g % 20 = 0 then 'user' else 'session' end, md5('r' || g)::uuid, now(),
                case when g % 20 = 0 then 1 end, now() + make_interval(secs => $2)
         from generate_series(1, $1::int) g`,
        [SIZES.revocations, accessTtlSeconds],
      ),
    );
    steps.audit = await timed('audit events', log, () =>
      client.query(
        `insert into audit_events (id, occurred_at, type, user_id, ip, user_agent, session_id, details)
         select md5('a' || g)::uuid, now() - (g % 2592000) * interval '1 second',
                (array['login_succeeded', 'login_failed', 'token_refreshed', 'logout'])[1 + g % 4],
                md5('u' || (1 + g % $2))::uuid, '127.0.0.1', 'scale-loader', md5('s' || (1 + g % $2))::uuid, '{}'
         from generate_series(1, $1::int) g`,
        [SIZES.audit, SIZES.users],
      ),
    );
    steps.analyze = await timed('vacuum analyze', log, () =>
      client.query(`vacuum analyze ${BIG_TABLES.join(', ')}`),
    );
    await client.query(
      'insert into bench_scale_marker (id, loaded) values (1, $1)',
      [JSON.stringify(want)],
    );
    return { reused: false, seconds: (Date.now() - started) / 1000, steps };
  } finally {
    await client.end();
  }
}

/**
 * Gives the purge jobs PURGEABLE rows of each kind: sessions ended two days ago (with a refresh token each),
 * consumed refresh tokens still holding a rotation successor, revocations that expired yesterday and audit rows
 * past retention. Idempotent: rows have fixed ids, so a rerun replaces what a failed run left.
 */
async function topUpPurgeable(database) {
  const client = await connect(database);
  try {
    await niceBackend(client);
    const n = PURGEABLE;
    await client.query(
      `insert into sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, revoked_at, revoked_reason, amr, auth_time)
       select md5('xs' || g)::uuid, md5('u' || g)::uuid, now() - interval '10 days', now() - interval '3 days',
              now() + interval '4 days', now() + interval '20 days', now() - interval '2 days', 'logout', '{pwd}',
              now() - interval '10 days'
       from generate_series(1, $1::int) g
       on conflict do nothing`,
      [n],
    );
    await client.query(
      `insert into refresh_tokens (id, session_id, token_hash, created_at)
       select md5('xt' || g)::uuid, md5('xs' || g)::uuid, encode(sha256(convert_to('xt' || g, 'UTF8')), 'hex'),
              now() - interval '10 days'
       from generate_series(1, $1::int) g
       on conflict do nothing`,
      [n],
    );
    await client.query(
      `insert into refresh_tokens (id, session_id, token_hash, created_at, consumed_at, successor)
       select md5('ct' || g)::uuid, md5('s' || g)::uuid, encode(sha256(convert_to('ct' || g, 'UTF8')), 'hex'),
              now() - interval '1 day', now() - interval '1 day', 'sealed-successor-placeholder'
       from generate_series(1, $1::int) g
       on conflict (id) do update set successor = excluded.successor, consumed_at = excluded.consumed_at`,
      [n],
    );
    await client.query(
      `insert into revocations (kind, subject_id, not_before, keep_until)
       select 'session', md5('xr' || g)::uuid, now() - interval '2 days', now() - interval '1 day'
       from generate_series(1, $1::int) g
       on conflict do nothing`,
      [n],
    );
    await client.query(
      `insert into audit_events (id, occurred_at, type, user_id, ip, user_agent, details)
       select md5('xa' || g)::uuid, now() - make_interval(days => $2 + 1) - g * interval '1 second', 'logout',
              md5('u' || g)::uuid, '127.0.0.1', 'scale-loader', '{}'
       from generate_series(1, $1::int) g
       on conflict do nothing`,
      [n, AUDIT_RETENTION_DAYS],
    );
    await client.query(`analyze ${BIG_TABLES.join(', ')}`);
  } finally {
    await client.end();
  }
}

/** Row counts as they stand (exact: counted, not estimated). */
async function countRows(database) {
  const client = await connect(database);
  try {
    const counts = {};
    for (const table of BIG_TABLES) {
      const { rows } = await client.query(
        `select count(*)::int as n from ${table}`,
      );
      counts[table] = rows[0].n;
    }
    const { rows } = await client.query(
      `select count(*)::int as n from revocations where keep_until > now()`,
    );
    counts.activeRevocations = rows[0].n;
    return counts;
  } finally {
    await client.end();
  }
}

/**
 * The sessions a measurement works with, inserted as login would store them, each with a fresh random refresh
 * token: `count` sessions spread over the given user numbers. Returns the refresh tokens.
 */
async function insertWorkloadSessions(database, userNumbers, count) {
  const client = await connect(database);
  try {
    const tokens = [];
    const ids = [];
    const users = [];
    const hashes = [];
    for (let i = 0; i < count; i += 1) {
      const token = randomBytes(32).toString('base64url');
      tokens.push(token);
      hashes.push(createHash('sha256').update(token).digest('hex'));
      ids.push(randomUUID());
      users.push(userNumbers[i % userNumbers.length]);
    }
    await client.query(
      `insert into sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip, amr, auth_time)
       select sid, md5('u' || g)::uuid, now(), now(), now() + interval '7 days', now() + interval '30 days',
              'scale-bench', '127.0.0.1', '{pwd}', now()
       from unnest($1::uuid[], $2::int[]) as w(sid, g)`,
      [ids, users],
    );
    await client.query(
      `insert into refresh_tokens (session_id, token_hash, created_at)
       select sid, h, now() from unnest($1::uuid[], $2::text[]) as w(sid, h)`,
      [ids, hashes],
    );
    return tokens;
  } finally {
    await client.end();
  }
}

module.exports = {
  AUDIT_RETENTION_DAYS,
  BIG_TABLES,
  PASSWORD,
  PURGEABLE,
  SIZES,
  connect,
  countRows,
  createDatabase,
  insertUsersInto,
  insertWorkloadSessions,
  loadBig,
  migrate,
  refreshRevocations,
  topUpPurgeable,
  urlFor,
};
