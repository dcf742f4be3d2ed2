'use strict';
// `npm run bench -- --scale`: how cost grows with the data. Gatehouse on PostgreSQL with 1,000,000 users, live
// sessions (each with its refresh token), 100,000 active revocations and 1,000,000 audit rows, next to the same
// build on an empty database: login, refresh, logout and GET /auth/me (target: within 1.5×), start-up time and
// RSS with the revocations loaded, the purge jobs' time and their effect on /auth/me's p99 (target: within 2×),
// and EXPLAIN of every statement those requests and the purges send (fails on a Seq Scan of a big table).
// Writes bench/results/scale.json. Standalone: it starts its own servers, not those of bench/lib/setup.js.
const { spawnSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { URL } = require('node:url');
const { setTimeout: sleep } = require('node:timers/promises');
const { PORT_BASE, ROOT, SECRET } = require('../lib/options');
const { log, median } = require('../lib/report');
const { report } = require('../lib/scale-report');
const data = require('../lib/scale-data');
const { explainAll } = require('../lib/scale-explain');
const load = require('../lib/scale-load');
const { spawnNode, startServer, stopChild } = require('../lib/servers');

const EMPTY = 'bench_scale_empty';
const BIG = 'bench_scale';
const ACCESS_TTL_SECONDS = 3600;
/** Users the requests sign in as, and sessions whose access tokens GET /auth/me uses. */
const WORKLOAD_USERS = 2_000;
const ME_SESSIONS = 2_000;
const REFRESH_CHAINS = load.CONNECTIONS + 2;
const LOGOUTS_PER_ROUND = 2_000;
const PORTS = {
  empty: PORT_BASE + 61,
  big: PORT_BASE + 62,
  emptyProxy: PORT_BASE + 63,
  bigProxy: PORT_BASE + 64,
};

const cleanups = [];

function startProxy(listenPort) {
  return new Promise((resolve, reject) => {
    const child = spawnNode(
      join(__dirname, '../lib/pg-proxy.js'),
      [listenPort, new URL(data.urlFor(BIG)).port || 5432, 'statements'],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    cleanups.push(() => stopChild(child));
    const ask = (message, key) =>
      new Promise((res) => {
        const onMessage = (m) => {
          if (m[key] === undefined) return;
          child.off('message', onMessage);
          res(m[key]);
        };
        child.on('message', onMessage);
        child.send(message);
      });
    child.once('message', () =>
      resolve({
        reset: () => ask('reset', 'reset'),
        statements: () => ask('statements', 'statements'),
      }),
    );
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}`)));
  });
}

function env(database, proxyPort, dataDir) {
  const url = new URL(data.urlFor(database));
  url.host = `127.0.0.1:${proxyPort}`;
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    JWT_SECRET: SECRET,
    JWT_ACCESS_TTL: `${ACCESS_TTL_SECONDS}s`,
    DATABASE_URL: url.toString(),
    DATA_DIR: dataDir,
    RATE_LIMIT_MAX: '1000000',
    AUDIT_RETENTION: `${data.AUDIT_RETENTION_DAYS}d`,
    EMAIL_FEATURES: 'off',
    PASSKEYS: 'off',
  };
}

/** Starts Gatehouse; start-up is the time from spawn to its first HTTP answer (polled every 200 ms). */
async function startGatehouse(dist, name, database, port, proxyPort, dataDir) {
  const started = Date.now();
  const server = await startServer({
    name,
    cwd: ROOT,
    script: join(dist, 'main.js'),
    port,
    env: env(database, proxyPort, dataDir),
  });
  cleanups.push(() => server.stop());
  const startSeconds = (Date.now() - started) / 1000;
  await sleep(1000);
  return { server, startSeconds, rssAfterStartMb: server.rssMb() };
}

function pick(count, max) {
  const chosen = new Set();
  while (chosen.size < count) chosen.add(1 + Math.floor(Math.random() * max));
  return [...chosen];
}

/** The heap the build's revocation set takes for the live revocations of the big database (see the script). */
function revocationHeap(dist) {
  const result = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      join(__dirname, '../lib/scale-revocation-memory.js'),
      dist,
      data.urlFor(BIG),
      String(ACCESS_TTL_SECONDS),
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new Error(`revocation memory: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Everything one database's requests need: its users and sessions, primed to access tokens by one refresh each. */
async function workload(database, port, userNumbers, rounds) {
  const logouts = LOGOUTS_PER_ROUND * rounds;
  const refreshTokens = await data.insertWorkloadSessions(
    database,
    userNumbers,
    ME_SESSIONS + logouts,
  );
  const pairs = await load.refreshAll(port, refreshTokens);
  return {
    usernames: userNumbers.map((g) => `scale${g}`),
    meTokens: pairs.slice(0, ME_SESSIONS).map((p) => p.access_token),
    chainTokens: pairs.slice(0, ME_SESSIONS).map((p) => p.refresh_token),
    logoutTokens: pairs.slice(ME_SESSIONS).map((p) => p.access_token),
  };
}

const ENDPOINTS = ['login', 'refresh', 'logout', 'me'];

function requestsFor(endpoint, w, round) {
  if (endpoint === 'me') return { requests: load.meRequests(w.meTokens) };
  if (endpoint === 'login')
    return { requests: load.loginRequests(w.usernames, data.PASSWORD) };
  if (endpoint === 'refresh') {
    const pool = w.chainTokens.slice(
      round * REFRESH_CHAINS,
      (round + 1) * REFRESH_CHAINS,
    );
    return { requests: load.refreshRequests(pool) };
  }
  const tokens = w.logoutTokens.slice(
    round * LOGOUTS_PER_ROUND,
    (round + 1) * LOGOUTS_PER_ROUND,
  );
  const window = {};
  return {
    requests: load.logoutRequests(tokens, window),
    amount: tokens.length,
    window,
  };
}

/** Statement text → executions per endpoint, added up over the rounds on the big database. */
function tally(hot, endpoint, statements, ok) {
  for (const s of statements) {
    const entry = hot.get(s.text) ?? {
      text: s.text,
      params: s.params,
      executions: 0,
      perEndpoint: {},
    };
    entry.executions += s.executions;
    const e = (entry.perEndpoint[endpoint] ??= { executions: 0, requests: 0 });
    e.executions += s.executions;
    hot.set(s.text, entry);
  }
  for (const entry of hot.values())
    if (entry.perEndpoint[endpoint]) entry.perEndpoint[endpoint].requests += ok;
}

function summarize(rounds) {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuUs: median(rounds.map((r) => r.cpuUs)),
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    rounds,
  };
}

async function measureEndpoints(t, options, ctx) {
  const results = { empty: {}, big: {} };
  const hot = new Map();
  for (const endpoint of ENDPOINTS) {
    log(`  ${endpoint}…`);
    // An untimed run first, so neither server is measured while its code is still being compiled.
    if (!options.quick && endpoint !== 'logout')
      for (const which of ['empty', 'big'])
        await load.run({
          server: ctx[which].server,
          requests: requestsFor(
            endpoint,
            ctx[which].workload,
            options.rounds + 2,
          ).requests,
          seconds: options.warmup,
        });
    const rounds = { empty: [], big: [] };
    for (let round = 0; round < options.rounds; round += 1) {
      // Alternate who goes first, so drift on the shared machine falls on both alike.
      const order = round % 2 ? ['big', 'empty'] : ['empty', 'big'];
      for (const which of order) {
        const { requests, amount, window } = requestsFor(
          endpoint,
          ctx[which].workload,
          round,
        );
        if (which === 'big') await t.bigProxy.reset();
        const r = await load.run({
          server: ctx[which].server,
          requests,
          seconds: options.seconds,
          amount,
          window,
        });
        if (which === 'big') {
          await sleep(300);
          tally(hot, endpoint, await t.bigProxy.statements(), r.ok);
        }
        rounds[which].push(r);
      }
    }
    results.empty[endpoint] = summarize(rounds.empty);
    results.big[endpoint] = summarize(rounds.big);
  }
  return { results, hot };
}

/** Starts Gatehouse's purge jobs in a process of their own (through the proxy); `purge()` runs them once. */
async function startPurger(t, dataDir) {
  const child = spawnNode(join(__dirname, '../lib/scale-purge.js'), [t.dist], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env(BIG, PORTS.bigProxy, dataDir) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  cleanups.push(() => stopChild(child));
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`purge exited ${code}`)));
  });
  return {
    purge: () =>
      new Promise((resolve) => {
        child.once('message', resolve);
        child.send('purge');
      }),
    stop: () => stopChild(child),
  };
}

/**
 * For GET /auth/me (the target) and POST /auth/refresh (which shares the tables the purge deletes from): a run
 * without a purge, then one that lasts exactly as long as the purge jobs, each time on freshly topped-up rows.
 */
async function measurePurge(t, ctx, options, dataDir) {
  const purger = await startPurger(t, dataDir);
  const w = ctx.big.workload;
  const passes = {};
  let purgeStatements;
  for (const [name, requests] of [
    ['me', () => load.meRequests(w.meTokens)],
    ['refresh', (i) => requestsFor('refresh', w, options.rounds + i).requests],
  ]) {
    await data.topUpPurgeable(BIG);
    const rowsBefore = await data.countRows(BIG);
    const quiet = await load.run({
      server: ctx.big.server,
      requests: requests(0),
      seconds: Math.max(options.seconds, 5),
    });
    await t.bigProxy.reset();
    const done = purger.purge();
    const during = await load.run({
      server: ctx.big.server,
      requests: requests(1),
      seconds: 600,
      until: done,
    });
    const jobs = await done;
    purgeStatements ??= await t.bigProxy.statements();
    passes[name] = { rowsBefore, quiet, during, jobs };
  }
  // Again with nothing left to delete: what the hourly jobs cost in steady state at this size.
  const idle = await purger.purge();
  const rowsAfter = await data.countRows(BIG);
  await purger.stop();
  return { passes, idle, rowsAfter, purgeStatements };
}

function build() {
  log('building Gatehouse (npm run build)…');
  const result = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('npm run build failed');
}

async function prepare(t) {
  const { hash } = require('@node-rs/argon2');
  const { ARGON2_OPTIONS } = require(
    join(t.dist, 'passwords/password.service.js'),
  );
  const passwordHash = await hash(data.PASSWORD, ARGON2_OPTIONS);
  await data.createDatabase(EMPTY, { fresh: true });
  await data.createDatabase(BIG, { fresh: false });
  await data.migrate(EMPTY, t.dist);
  await data.migrate(BIG, t.dist);
  const loaded = await data.loadBig(BIG, {
    passwordHash,
    accessTtlSeconds: ACCESS_TTL_SECONDS,
    log,
  });
  log(
    loaded.reused
      ? `  ${BIG}: already loaded at these sizes, reused`
      : `  ${BIG}: loaded in ${loaded.seconds.toFixed(1)} s`,
  );
  await data.topUpPurgeable(BIG);
  await data.insertUsersInto(EMPTY, WORKLOAD_USERS, passwordHash);
  return loaded;
}

async function run(options) {
  const startedAt = new Date();
  const t = { dist: options.dist ?? join(ROOT, 'dist') };
  if (options.build) build();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-scale-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = (name) => {
    mkdirSync(join(dir, name));
    return join(dir, name);
  };
  log(`scale: preparing ${EMPTY} and ${BIG}…`);
  const loaded = await prepare(t);
  const counts = {
    empty: await data.countRows(EMPTY),
    big: await data.countRows(BIG),
  };
  log(`  rows: empty ${JSON.stringify(counts.empty)}`);
  log(`  rows: 1M    ${JSON.stringify(counts.big)}`);

  t.bigProxy = await startProxy(PORTS.bigProxy);
  await startProxy(PORTS.emptyProxy);
  const start = (...args) => startGatehouse(t.dist, ...args);
  log('scale: starting Gatehouse on each (one after the other)…');
  const ctx = {
    empty: await start(
      'gatehouse-empty',
      EMPTY,
      PORTS.empty,
      PORTS.emptyProxy,
      dataDir('empty'),
    ),
    big: await start(
      'gatehouse-1m',
      BIG,
      PORTS.big,
      PORTS.bigProxy,
      dataDir('big'),
    ),
  };
  ctx.revocationHeap = revocationHeap(t.dist);
  log('scale: sessions for the requests (inserted, then one refresh each)…');
  ctx.empty.workload = await workload(
    EMPTY,
    PORTS.empty,
    Array.from({ length: WORKLOAD_USERS }, (_, i) => i + 1),
    options.rounds,
  );
  ctx.big.workload = await workload(
    BIG,
    PORTS.big,
    pick(WORKLOAD_USERS, data.SIZES.users),
    options.rounds,
  );
  log(
    `scale: login, refresh, logout, /auth/me — ${options.rounds} interleaved rounds × ${options.seconds} s (logout: ${LOGOUTS_PER_ROUND} requests)…`,
  );
  const { results, hot } = await measureEndpoints(t, options, ctx);

  log('scale: purge jobs on the 1M database, with /auth/me under load…');
  const purge = await measurePurge(t, ctx, options, dataDir('purge'));

  log('scale: EXPLAIN of every statement seen…');
  const hotStatements = [...hot.values()].map((s) => ({
    ...s,
    endpoints: Object.keys(s.perEndpoint),
    perRequest: Object.fromEntries(
      Object.entries(s.perEndpoint).map(([e, v]) => [
        e,
        v.executions / Math.max(1, v.requests),
      ]),
    ),
  }));
  const explained = {
    hot: await explainAll(BIG, hotStatements),
    purge: await explainAll(BIG, purge.purgeStatements),
  };

  const json = report({
    settings: {
      connections: load.CONNECTIONS,
      endpoints: ENDPOINTS,
      logoutsPerRound: LOGOUTS_PER_ROUND,
    },
    startedAt,
    options,
    loaded,
    counts,
    ctx,
    results,
    purge,
    explained,
  });
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/scale.json'),
    `${JSON.stringify(json, null, 2)}\n`,
  );
  log('written: bench/results/scale.json');
  if (json.targets.some((x) => x.verdict !== 'met')) process.exitCode = 1;
}

async function cleanUp() {
  for (const fn of cleanups.reverse())
    await Promise.resolve(fn()).catch((e) => log(`cleanup: ${e.message}`));
}

module.exports = { run, cleanUp };
