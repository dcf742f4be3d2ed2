'use strict';
// Gatehouse next to its references, in one run: `npm run bench` (about 10 minutes) or `npm run bench -- --quick`
// (under 2 minutes, for iteration). Flags: --quick, --skip-build, --only=get,login,storm,refresh,soak,
// --dist=<dir> (run a Gatehouse build from another directory; implies --skip-build),
// --rounds=N, --seconds=N (override the mode's), --baseline=<dir> (also run the protected GET against an older build, for before/after numbers in one run).
// Ratios measured side by side are what matter; absolute numbers drift on a shared machine.
require('reflect-metadata');
const { spawn, spawnSync } = require('node:child_process');
const { generateKeyPairSync } = require('node:crypto');
const {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { cpus, tmpdir } = require('node:os');
const { join } = require('node:path');
const { URL } = require('node:url');
const { setTimeout: sleep } = require('node:timers/promises');
const { createSigner, createDecoder } = require('fast-jwt');
const { Client } = require('pg');
const {
  load,
  getRequests,
  loginRequests,
  refreshRequests,
} = require('./lib/load');
const {
  median,
  summarize,
  table,
  targetsTable,
  int,
  ms,
  ratio,
} = require('./lib/report');
const { request, startServer, stopChild } = require('./lib/servers');

const ROOT = join(__dirname, '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const ONLY = (
  args.find((a) => a.startsWith('--only=')) ??
  '--only=get,login,storm,refresh,soak'
)
  .slice(7)
  .split(',');
const DIST_ARG = args.find((a) => a.startsWith('--dist='))?.slice(7);
const BASELINE_DIST = args.find((a) => a.startsWith('--baseline='))?.slice(11);
const numberArg = (name) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]) ||
  undefined;
const ROUNDS = numberArg('rounds') ?? (QUICK ? 3 : 4);
const SECONDS = numberArg('seconds') ?? (QUICK ? 2 : 10);
const WARMUP = QUICK ? 1 : 3;
const SOAK_SECONDS = QUICK ? 0 : 60;
const CONNECTIONS = 10;
/** Fixed request rate of the protected GETs in the storm scenario: latency is measured below saturation. */
const STORM_GET_RATE = 300;
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 4500);
const PG_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const SECRET = 'bench-secret-that-is-long-enough-for-hs256-000000';
const USER = {
  username: 'bench',
  email: 'bench@example.com',
  password: 'correct horse battery staple',
};
/** Accounts the login scenarios take turns with: the per-account lockout counts attempts in flight, by design. */
const LOGIN_USERS = Array.from({ length: 2 * CONNECTIONS }, (_, i) => ({
  username: `bench${i}`,
  email: `bench${i}@example.com`,
  password: `correct horse battery staple ${i}`,
}));
const PORTS = {
  gatehouse: PORT_BASE + 1,
  bareHs256: PORT_BASE + 2,
  bareEs256: PORT_BASE + 3,
  express: PORT_BASE + 4,
  gatehouseEs256: PORT_BASE + 5,
  gatehousePg: PORT_BASE + 6,
  gatehouseBaseline: PORT_BASE + 7,
  bareLogin: PORT_BASE + 8,
  pgProxy: PORT_BASE + 50,
};

const log = (line) => process.stdout.write(`${line}\n`);
const running = [];
const cleanups = [];

function gatehouseEnv(dataDir, extra = {}) {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    JWT_SECRET: SECRET,
    JWT_ACCESS_TTL: '1h',
    DATABASE_URL: 'pglite://memory',
    DATA_DIR: dataDir,
    // The benchmark is one client address hammering login and refresh; the rate limit is not what is measured.
    RATE_LIMIT_MAX: '1000000',
    ...extra,
  };
}

async function start(options) {
  const server = await startServer({ cwd: ROOT, ...options });
  running.push(server);
  return server;
}

async function registerLoginUsers(port) {
  for (let i = 0; i < LOGIN_USERS.length; i += 4) {
    const batch = LOGIN_USERS.slice(i, i + 4).map((user) =>
      request(port, 'POST', '/auth/register', { body: user }),
    );
    for (const res of await Promise.all(batch))
      if (res.status !== 201)
        throw new Error(`register on ${port}: ${res.status} ${res.text}`);
  }
}

async function registerAndLogin(port) {
  const registered = await request(port, 'POST', '/auth/register', {
    body: USER,
  });
  if (registered.status !== 201)
    throw new Error(
      `register on ${port}: ${registered.status} ${registered.text}`,
    );
  return login(port);
}

async function login(port, user = USER) {
  const res = await request(port, 'POST', '/auth/login', {
    body: { username: user.username, password: user.password },
  });
  if (res.status !== 200)
    throw new Error(`login on ${port}: ${res.status} ${res.text}`);
  return res.json;
}

/** Runs `fn(item, round)` for every item, round after round, rotating who goes first to spread drift evenly. */
async function interleave(items, fn) {
  const results = new Map(items.map((item) => [item, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = items.map((_, i) => items[(i + round) % items.length]);
    for (const item of order) results.get(item).push(await fn(item, round));
  }
  return results;
}

function argon2Rate(seconds, passwordModule) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(__dirname, 'lib/argon2-rate.js'),
        String(seconds),
        String(CONNECTIONS),
        passwordModule,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
      },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out))
        : reject(new Error(`argon2-rate exited ${code}`)),
    );
  });
}

/** The build's password service module, so the raw rate uses exactly the argon2 options Gatehouse hashes with. */
function passwordServiceModule(dist) {
  const file = ['passwords/password.service.js', 'auth/password.service.js']
    .map((f) => join(dist, f))
    .find(existsSync);
  if (!file) throw new Error(`password.service.js not found in ${dist}`);
  return file;
}

function startProxy(listenPort, targetPort) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(__dirname, 'lib/pg-count-proxy.js'),
        String(listenPort),
        String(targetPort),
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    cleanups.push(() => stopChild(child));
    child.once('message', () =>
      resolve({
        statements: () =>
          new Promise((res) => {
            child.once('message', (m) => res(m.statements));
            child.send('count');
          }),
      }),
    );
    child.once('exit', (code) => reject(new Error(`pg proxy exited ${code}`)));
  });
}

async function createThrowawayDatabase() {
  const admin = new Client({
    connectionString: PG_URL,
    connectionTimeoutMillis: 3000,
  });
  await admin.connect();
  const name = `gatehouse_bench_${process.pid}`;
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const c = new Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  });
  const url = new URL(PG_URL);
  return {
    name,
    port: Number(url.port || 5432),
    user: url.username || 'postgres',
  };
}

async function main() {
  const startedAt = new Date();
  const dist = DIST_ARG ?? join(ROOT, 'dist');
  if (!args.includes('--skip-build') && !DIST_ARG) {
    log('building Gatehouse (npm run build)…');
    const build = spawnSync('npm', ['run', 'build'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (build.status !== 0) throw new Error('npm run build failed');
  }
  const passwordModule = passwordServiceModule(dist);
  const dataRoot = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  cleanups.push(() => rmSync(dataRoot, { recursive: true, force: true }));
  const dataDir = (name) => {
    const dir = join(dataRoot, name);
    mkdirSync(dir);
    return dir;
  };
  const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const esPrivatePem = es.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const esPublicPem = es.publicKey.export({ type: 'spki', format: 'pem' });

  log(`starting servers on 127.0.0.1:${PORT_BASE + 1}-${PORT_BASE + 6}…`);
  const gatehouseScript = join(dist, 'main.js');
  const [gatehouse, bareHs, bareEs, express, gatehouseEs] = await Promise.all([
    start({
      name: 'gatehouse',
      script: gatehouseScript,
      port: PORTS.gatehouse,
      env: gatehouseEnv(dataDir('hs')),
    }),
    start({
      name: 'bare-hs256',
      script: join(__dirname, 'refs/bare-fastjwt.js'),
      port: PORTS.bareHs256,
      env: { BENCH_ALG: 'HS256', BENCH_SECRET: SECRET },
    }),
    start({
      name: 'bare-es256',
      script: join(__dirname, 'refs/bare-fastjwt.js'),
      port: PORTS.bareEs256,
      env: { BENCH_ALG: 'ES256', BENCH_PUBLIC_KEY: esPublicPem },
    }),
    start({
      name: 'express',
      script: join(__dirname, 'refs/express-passport-string-secret.js'),
      port: PORTS.express,
      env: { BENCH_SECRET: SECRET },
    }),
    start({
      name: 'gatehouse-es256',
      script: gatehouseScript,
      port: PORTS.gatehouseEs256,
      env: gatehouseEnv(dataDir('es'), {
        JWT_ALGORITHM: 'ES256',
        JWT_PRIVATE_KEY: esPrivatePem,
      }),
    }),
  ]);

  let baseline;
  if (BASELINE_DIST) {
    const server = await start({
      name: 'gatehouse-baseline',
      script: join(BASELINE_DIST, 'main.js'),
      port: PORTS.gatehouseBaseline,
      env: gatehouseEnv(dataDir('baseline')),
    });
    baseline = {
      server,
      tokens: await registerAndLogin(PORTS.gatehouseBaseline),
    };
  }

  let pg;
  try {
    const db = await createThrowawayDatabase();
    const proxy = await startProxy(PORTS.pgProxy, db.port);
    const server = await start({
      name: 'gatehouse-pg',
      script: gatehouseScript,
      port: PORTS.gatehousePg,
      env: gatehouseEnv(dataDir('pg'), {
        DATABASE_URL: `postgres://${db.user}@127.0.0.1:${PORTS.pgProxy}/${db.name}`,
      }),
    });
    pg = { server, proxy, tokens: await registerAndLogin(PORTS.gatehousePg) };
  } catch (error) {
    log(`PostgreSQL scenarios skipped: ${error.message}`);
  }

  const tokens = await registerAndLogin(PORTS.gatehouse);
  await registerLoginUsers(PORTS.gatehouse);
  if (pg) await registerLoginUsers(PORTS.gatehousePg);
  const decode = createDecoder({ complete: true });
  const esTokens = await registerAndLogin(PORTS.gatehouseEs256);
  const esAlg = decode(esTokens.access_token).header.alg;
  const es256Supported = esAlg === 'ES256';
  // The references verify a token with Gatehouse's claims (same size, same checks), signed with their key.
  const claims = decode(tokens.access_token).payload;
  const refHs = tokens.access_token;
  const refEs = createSigner({
    key: esPrivatePem,
    algorithm: 'ES256',
    kid: 'bench',
  })(claims);

  const rows = [];
  const targets = [];
  const json = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    cpus: cpus().length,
    quick: QUICK,
    rounds: ROUNDS,
    secondsPerRun: SECONDS,
    connections: CONNECTIONS,
    scenarios: {},
  };
  const verdict = (ok) => (ok ? 'met' : 'MISSED');

  if (ONLY.includes('get')) {
    log('scenario: protected GET /auth/me…');
    const servers = [
      {
        label: 'Gatehouse (Fastify, passport-jwt, HS256)',
        server: gatehouse,
        token: tokens.access_token,
      },
      {
        label: 'bare node:http + fast-jwt HS256',
        server: bareHs,
        token: refHs,
      },
      {
        label: 'NestJS Express + passport-jwt, string secret',
        server: express,
        token: refHs,
      },
    ];
    if (baseline)
      servers.push({
        label: `Gatehouse baseline (${BASELINE_DIST})`,
        server: baseline.server,
        token: baseline.tokens.access_token,
      });
    if (es256Supported) {
      servers.push(
        {
          label: 'Gatehouse (Fastify, passport-jwt, ES256)',
          server: gatehouseEs,
          token: esTokens.access_token,
        },
        {
          label: 'bare node:http + fast-jwt ES256',
          server: bareEs,
          token: refEs,
        },
      );
    }
    for (const s of servers) {
      const check = await request(s.server.port, 'GET', '/auth/me', {
        token: s.token,
      });
      if (check.status !== 200)
        throw new Error(
          `${s.label}: GET /auth/me answered ${check.status} ${check.text}`,
        );
      await load({
        port: s.server.port,
        seconds: WARMUP,
        requests: getRequests('/auth/me', s.token),
      });
    }
    const results = await interleave(servers, (s) =>
      load({
        port: s.server.port,
        seconds: SECONDS,
        requests: getRequests('/auth/me', s.token),
        server: s.server,
      }),
    );
    const sum = new Map();
    for (const s of servers) {
      const summary = { ...summarize(results.get(s)), rssMb: s.server.rssMb() };
      sum.set(s, summary);
      rows.push({
        scenario: 'protected GET /auth/me',
        server: s.label,
        ...summary,
      });
    }
    const [gh, bare, exp, ...rest] = servers.map((s) => sum.get(s));
    const [ghEs, bareEsS] = baseline ? rest.slice(1) : rest;
    // Throughput ratio first (the target); the CPU-time ratio beside it stays meaningful on a busy machine.
    const vs = (a, b) => ({ rps: a.rps / b.rps, cpu: b.cpuUs / a.cpuUs });
    const show = (x, a, b) =>
      `${ratio(x.rps)} req/s, ${ratio(x.cpu)} by CPU time (p99 ${ms(a.p99)} vs ${ms(b.p99)} ms)`;
    const r = { bare: vs(gh, bare), express: vs(gh, exp) };
    targets.push(
      {
        target: '1. HS256 protected GET ≥ 0.5× bare fast-jwt',
        measured: show(r.bare, gh, bare),
        verdict: verdict(r.bare.rps >= 0.5),
      },
      {
        target: '1. HS256 protected GET ≥ 6× NestJS-Express string secret',
        measured: show(r.express, gh, exp),
        verdict: verdict(r.express.rps >= 6),
      },
    );
    if (es256Supported) {
      r.esBare = vs(ghEs, bareEsS);
      r.esExpress = vs(ghEs, exp);
      targets.push(
        {
          target: '1. ES256 protected GET ≥ 0.5× bare fast-jwt ES256',
          measured: show(r.esBare, ghEs, bareEsS),
          verdict: verdict(r.esBare.rps >= 0.5),
        },
        {
          target: '1. ES256 protected GET ≥ 6× NestJS-Express string secret',
          measured: show(r.esExpress, ghEs, exp),
          verdict: verdict(r.esExpress.rps >= 6),
        },
      );
    } else {
      rows.push({
        scenario: 'protected GET /auth/me',
        server: 'Gatehouse ES256',
        note: `skipped: not supported yet (JWT_ALGORITHM=ES256 still signs ${esAlg})`,
      });
      targets.push({
        target: '1. ES256 targets',
        measured: 'skipped: not supported yet',
        verdict: 'n/a',
      });
    }
    json.scenarios.protectedGet = {
      servers: servers.map((s) => ({
        label: s.label,
        rounds: results.get(s),
        summary: sum.get(s),
      })),
      ratios: r,
    };
  }

  if (ONLY.includes('login')) {
    log('scenario: POST /auth/login vs raw argon2id…');
    const loginReq = loginRequests(LOGIN_USERS);
    const bareLogin = await start({
      name: 'bare-argon2-login',
      script: join(__dirname, 'refs/bare-argon2-login.js'),
      port: PORTS.bareLogin,
      env: { BENCH_PASSWORD_MODULE: passwordModule },
    });
    await registerLoginUsers(PORTS.bareLogin);
    const loginServers = {
      login: gatehouse,
      ...(pg ? { loginPg: pg.server } : {}),
      ceiling: bareLogin,
    };
    for (const server of Object.values(loginServers))
      await load({ port: server.port, seconds: WARMUP, requests: loginReq });
    const kinds = [...Object.keys(loginServers), 'argon2'];
    const results = await interleave(kinds, async (kind) => {
      const server = loginServers[kind];
      if (server)
        return load({
          port: server.port,
          seconds: SECONDS,
          requests: loginReq,
          server,
        });
      const raw = await argon2Rate(SECONDS, passwordModule);
      json.argon2Options = raw.options;
      return { rps: raw.rate, p50: NaN, p99: NaN, ok: raw.ops };
    });
    const rawSum = summarize(results.get('argon2'));
    const measured = [
      ['login', 'PGlite', gatehouse],
      ...(pg ? [['loginPg', 'PostgreSQL', pg.server]] : []),
    ].map(([kind, db, server]) => ({
      kind,
      db,
      sum: { ...summarize(results.get(kind)), rssMb: server.rssMb() },
    }));
    for (const { db, sum } of measured)
      rows.push({
        scenario: 'POST /auth/login',
        server: `Gatehouse (${db})`,
        ...sum,
      });
    const ceilingSum = {
      ...summarize(results.get('ceiling')),
      rssMb: bareLogin.rssMb(),
    };
    const ceilingRatio = ceilingSum.rps / rawSum.rps;
    rows.push({
      scenario: 'POST /auth/login',
      server: 'bare node:http + argon2id verify (no DB, no token)',
      ...ceilingSum,
      note: `ceiling: ${ratio(ceilingRatio)} raw`,
    });
    rows.push({
      scenario: 'POST /auth/login',
      server: `raw argon2id verify ×${CONNECTIONS} in flight`,
      ...rawSum,
      note: 'ops/s, own process',
    });
    json.scenarios.login = {
      argon2: results.get('argon2'),
      ceiling: results.get('ceiling'),
      ratios: { ceilingToRaw: ceilingRatio },
      ratiosToCeiling: {},
    };
    for (const { kind, db, sum } of measured) {
      const r = sum.rps / rawSum.rps;
      targets.push({
        target: `3. login throughput ≥ 0.85× raw argon2id rate (${db})`,
        measured: `${ratio(r)} (${ratio(sum.rps / ceilingSum.rps)} of the bare ceiling, which is ${ratio(ceilingRatio)} raw)`,
        verdict: verdict(r >= 0.85),
      });
      json.scenarios.login[kind] = results.get(kind);
      json.scenarios.login.ratios[db] = r;
      json.scenarios.login.ratiosToCeiling[db] = sum.rps / ceilingSum.rps;
    }
  }

  if (ONLY.includes('storm')) {
    log('scenario: protected GET p99 during a login storm…');
    const getReq = getRequests('/auth/me', tokens.access_token);
    const loginReq = loginRequests(LOGIN_USERS);
    const results = await interleave(['calm', 'storm'], async (kind) => {
      const gets = load({
        port: gatehouse.port,
        seconds: SECONDS,
        requests: getReq,
        overallRate: STORM_GET_RATE,
      });
      if (kind === 'calm') return gets;
      const [getResult] = await Promise.all([
        gets,
        load({ port: gatehouse.port, seconds: SECONDS, requests: loginReq }),
      ]);
      return getResult;
    });
    const calm = summarize(results.get('calm'));
    const storm = summarize(results.get('storm'));
    const r = storm.p99 / calm.p99;
    rows.push(
      {
        scenario: `GET /auth/me at ${STORM_GET_RATE}/s`,
        server: 'Gatehouse, no login traffic',
        ...calm,
      },
      {
        scenario: `GET /auth/me at ${STORM_GET_RATE}/s`,
        server: `Gatehouse, ${CONNECTIONS} connections logging in`,
        ...storm,
        rssMb: gatehouse.rssMb(),
      },
    );
    targets.push({
      target: '3. GET p99 during a login storm ≤ 3× calm p99',
      measured: `${ratio(r)} (${ms(storm.p99)} ms vs ${ms(calm.p99)} ms)`,
      verdict: verdict(r <= 3),
    });
    json.scenarios.storm = {
      calm: results.get('calm'),
      storm: results.get('storm'),
      ratio: r,
    };
  }

  if (ONLY.includes('refresh')) {
    log('scenario: POST /auth/refresh on PGlite and PostgreSQL…');
    const targetsRefresh = [
      { label: 'Gatehouse on PGlite (in-process)', server: gatehouse },
    ];
    if (pg)
      targetsRefresh.push({
        label: 'Gatehouse on PostgreSQL 127.0.0.1',
        server: pg.server,
        proxy: pg.proxy,
      });
    const freshPool = async (port) => {
      const pool = [];
      // One fresh session per connection (plus spares): the previous round may have left tokens mid-rotation.
      for (let i = 0; i < CONNECTIONS + 2; i += 4)
        pool.push(
          ...(
            await Promise.all(
              [0, 1, 2, 3].map((j) => login(port, LOGIN_USERS[i + j])),
            )
          ).map((t) => t.refresh_token),
        );
      return pool;
    };
    const run = async (t, seconds) => {
      const pool = await freshPool(t.server.port);
      const before = t.proxy ? await t.proxy.statements() : 0;
      const result = await load({
        port: t.server.port,
        seconds,
        requests: refreshRequests(pool),
        server: t.server,
      });
      await sleep(200);
      if (t.proxy)
        result.statementsPerRequest =
          ((await t.proxy.statements()) - before) / result.ok;
      return result;
    };
    if (!QUICK) for (const t of targetsRefresh) await run(t, WARMUP);
    const results = await interleave(targetsRefresh, (t) => run(t, SECONDS));
    json.scenarios.refresh = {};
    for (const t of targetsRefresh) {
      const summary = { ...summarize(results.get(t)), rssMb: t.server.rssMb() };
      const perRefresh = t.proxy
        ? median(results.get(t).map((x) => x.statementsPerRequest))
        : undefined;
      rows.push({
        scenario: 'POST /auth/refresh',
        server: t.label,
        ...summary,
        note:
          perRefresh === undefined
            ? ''
            : `${perRefresh.toFixed(2)} SQL statements/refresh`,
      });
      if (t.proxy)
        targets.push({
          target: '4. queries per refresh ≤ 3 (PostgreSQL wire count)',
          measured: perRefresh.toFixed(2),
          verdict: verdict(perRefresh <= 3),
        });
      json.scenarios.refresh[t.label] = {
        rounds: results.get(t),
        summary,
        statementsPerRefresh: perRefresh,
      };
    }
    if (!pg)
      targets.push({
        target: '4. refresh on PostgreSQL',
        measured: 'skipped: PostgreSQL unreachable',
        verdict: 'n/a',
      });

    if (pg) {
      log(
        'scenario: SQL statements per protected GET (PostgreSQL wire count)…',
      );
      const before = await pg.proxy.statements();
      const result = await load({
        port: pg.server.port,
        seconds: SECONDS,
        requests: getRequests('/auth/me', pg.tokens.access_token),
        server: pg.server,
      });
      await sleep(200);
      const statements = (await pg.proxy.statements()) - before;
      const perGet = statements / result.ok;
      rows.push({
        scenario: 'protected GET /auth/me',
        server: 'Gatehouse on PostgreSQL 127.0.0.1',
        ...summarize([result]),
        rssMb: pg.server.rssMb(),
        note: `${statements} SQL statements in ${result.ok} requests`,
      });
      // Background work (the key-table reload every 30 s, the audit flush of the login made just before) sends a
      // few statements whatever the load; a query on the request path would send one or more per request.
      targets.push({
        target: '2. zero DB queries per steady-state protected GET',
        measured: `${statements} statements in ${result.ok} requests (${perGet.toFixed(5)}/request)`,
        verdict: verdict(perGet < 0.001),
      });
      json.scenarios.queriesPerGet = { result, statementsPerRequest: perGet };
    }
  }

  if (ONLY.includes('soak') && SOAK_SECONDS > 0) {
    log(`scenario: ${SOAK_SECONDS} s soak with 200 distinct tokens…`);
    const soakTokens = [];
    let refresh = (await login(gatehouse.port)).refresh_token;
    for (let i = 0; i < 200; i += 1) {
      const res = await request(gatehouse.port, 'POST', '/auth/refresh', {
        body: { refresh_token: refresh },
      });
      if (res.status !== 200)
        throw new Error(`refresh: ${res.status} ${res.text}`);
      refresh = res.json.refresh_token;
      soakTokens.push(res.json.access_token);
    }
    const slices = [];
    for (let t = 0; t < SOAK_SECONDS; t += 5) {
      const result = await load({
        port: gatehouse.port,
        seconds: 5,
        requests: getRequests('/auth/me', soakTokens),
        server: gatehouse,
      });
      slices.push({ ...result, rssMb: gatehouse.rssMb() });
    }
    // The first slice warms the caches; growth is measured from there.
    const first = slices[1]?.rssMb ?? slices[0].rssMb;
    const last = slices[slices.length - 1].rssMb;
    const growth = (last - first) / first;
    rows.push({
      scenario: `soak ${SOAK_SECONDS} s, 200 tokens`,
      server: 'Gatehouse (PGlite)',
      ...summarize(slices),
      rssMb: last,
      note: `RSS ${Math.round(first)} → ${Math.round(last)} MB`,
    });
    targets.push({
      target: '5. RSS growth over a 60 s soak ≤ 10%',
      measured: `${(growth * 100).toFixed(1)}%`,
      verdict: verdict(growth <= 0.1),
    });
    json.scenarios.soak = { slices, growth };
  }

  for (const server of running)
    rows.push({
      scenario: 'RSS after the run',
      server: server.name,
      rssMb: server.rssMb(),
    });
  json.rows = rows;
  json.targets = targets;
  json.finishedAt = new Date().toISOString();
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(
    join(__dirname, 'results/latest.json'),
    `${JSON.stringify(json, null, 2)}\n`,
  );

  log('');
  log(
    `Gatehouse benchmark — ${QUICK ? 'quick' : 'full'} run, ${ROUNDS} interleaved rounds × ${SECONDS} s, ${CONNECTIONS} connections, node ${process.version}, ${cpus().length} CPUs, ${startedAt.toISOString()}`,
  );
  log('');
  log(table(rows));
  log('');
  log(targetsTable(targets));
  log('');
  log(
    `written: bench/results/latest.json (${int((Date.now() - startedAt.getTime()) / 1000)} s)`,
  );
}

async function cleanup() {
  await Promise.all(running.map((s) => s.stop()));
  for (const fn of cleanups.reverse())
    await Promise.resolve(fn()).catch((e) => log(`cleanup: ${e.message}`));
}

process.once('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

main()
  .catch((error) => {
    process.exitCode = 1;
    log(`benchmark failed: ${error.stack ?? error}`);
  })
  .finally(cleanup);
