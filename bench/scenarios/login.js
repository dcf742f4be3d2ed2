'use strict';
// POST /auth/login against what argon2id allows: the raw verify rate in a process of its own, and a bare
// node:http server doing one verify per login (the ceiling). On PGlite and, when it answers, PostgreSQL. Target 3.
// Beside it, Better Auth's sign-in (POST /api/auth/sign-in/email) against its own raw scrypt rate.
const { join } = require('node:path');
const { registerLoginUsers } = require('../lib/accounts');
const { scryptRate } = require('../lib/better-auth');
const {
  load,
  interleave,
  loginRequests,
  postJsonRequests,
} = require('../lib/load');
const {
  CONNECTIONS,
  LOGIN_USERS,
  PORTS,
  REFS,
  ROOT,
} = require('../lib/options');
const { log, summarize, verdict, ratio } = require('../lib/report');
const { spawnNode } = require('../lib/servers');

const SCENARIO = 'POST /auth/login';

/** argon2-rate.js's answer: `CONNECTIONS` verifications in flight for `seconds`. */
function argon2Rate(seconds, passwordModule) {
  return new Promise((resolve, reject) => {
    const child = spawnNode(
      join(__dirname, '../lib/argon2-rate.js'),
      [seconds, CONNECTIONS, passwordModule],
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

async function run(bench) {
  log('scenario: POST /auth/login vs raw argon2id…');
  const { seconds, warmup, rounds } = bench.options;
  const { gatehouse } = bench.servers;
  const { pg, passwordModule } = bench;
  const loginReq = loginRequests(LOGIN_USERS);
  const bareLogin = await bench.start({
    name: 'bare-argon2-login',
    script: join(REFS, 'bare-argon2-login.js'),
    port: PORTS.bareLogin,
    env: { BENCH_PASSWORD_MODULE: passwordModule },
  });
  await registerLoginUsers(PORTS.bareLogin);
  const ba = bench.betterAuth?.servers ? bench.betterAuth : undefined;
  const loginServers = {
    login: { server: gatehouse, requests: loginReq },
    ...(pg
      ? { loginPg: { server: pg.server, requests: loginReq, dbCpu: pg.dbCpu } }
      : {}),
    ceiling: { server: bareLogin, requests: loginReq },
    ...(ba
      ? {
          betterAuth: {
            server: ba.servers.defaults,
            requests: postJsonRequests(
              '/api/auth/sign-in/email',
              ba.signInBodies,
            ),
            dbCpu: ba.dbCpu,
          },
        }
      : {}),
  };
  for (const { server, requests } of Object.values(loginServers))
    await load({ port: server.port, seconds: warmup, requests });
  const kinds = [
    ...Object.keys(loginServers),
    'argon2',
    ...(ba ? ['scrypt'] : []),
  ];
  let argon2Options;
  let scryptOptions;
  const results = await interleave(rounds, kinds, async (kind) => {
    const target = loginServers[kind];
    if (target) return load({ port: target.server.port, seconds, ...target });
    const raw =
      kind === 'argon2'
        ? await argon2Rate(seconds, passwordModule)
        : await scryptRate(seconds);
    if (kind === 'argon2') argon2Options = raw.options;
    else scryptOptions = raw.options;
    return {
      rps: raw.rate,
      p50: NaN,
      p99: NaN,
      ok: raw.ops,
      cpuUs: raw.cpuUs,
    };
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
  const rows = measured.map(({ db, sum }) => ({
    scenario: SCENARIO,
    server: `Gatehouse (${db})`,
    ...sum,
  }));
  const ceilingSum = {
    ...summarize(results.get('ceiling')),
    rssMb: bareLogin.rssMb(),
  };
  const ceilingRatio = ceilingSum.rps / rawSum.rps;
  rows.push(
    {
      scenario: SCENARIO,
      server: 'bare node:http + argon2id verify (no DB, no token)',
      ...ceilingSum,
      note: `ceiling: ${ratio(ceilingRatio)} raw`,
    },
    {
      scenario: SCENARIO,
      server: `raw argon2id verify ×${CONNECTIONS} in flight`,
      ...rawSum,
      note: 'ops/s, own process',
    },
  );
  const login = {
    argon2: results.get('argon2'),
    ceiling: results.get('ceiling'),
    ratios: { ceilingToRaw: ceilingRatio },
    ratiosToCeiling: {},
    // Medians by kind, for the side-by-side table (bench/lib/peers.js).
    summaries: { argon2: rawSum, ceiling: ceilingSum },
  };
  const targets = [];
  for (const { kind, db, sum } of measured) {
    const r = sum.rps / rawSum.rps;
    targets.push({
      target: `3. login throughput ≥ 0.85× raw argon2id rate (${db})`,
      measured: `${ratio(r)} (${ratio(sum.rps / ceilingSum.rps)} of the bare ceiling, which is ${ratio(ceilingRatio)} raw)`,
      verdict: verdict(r >= 0.85),
    });
    login[kind] = results.get(kind);
    login.summaries[kind] = sum;
    login.ratios[db] = r;
    login.ratiosToCeiling[db] = sum.rps / ceilingSum.rps;
  }
  if (ba) {
    const scryptSum = summarize(results.get('scrypt'));
    const baSum = {
      ...summarize(results.get('betterAuth')),
      rssMb: ba.servers.defaults.rssMb(),
    };
    const baRatio = baSum.rps / scryptSum.rps;
    const ghPg = login.summaries.loginPg;
    rows.push(
      {
        scenario: 'POST /api/auth/sign-in/email',
        server: 'Better Auth (PostgreSQL, defaults, rate limit off)',
        ...baSum,
        note: `${ratio(baRatio)} raw scrypt${ghPg ? `; Gatehouse (PostgreSQL): ${ratio(login.ratios.PostgreSQL)} raw argon2id` : ''}`,
      },
      {
        scenario: 'POST /api/auth/sign-in/email',
        server: `raw scrypt verify ×${CONNECTIONS} in flight (Better Auth's)`,
        ...scryptSum,
        note: `ops/s, own process; N=${scryptOptions.N} r=${scryptOptions.r} p=${scryptOptions.p}`,
      },
    );
    login.betterAuth = results.get('betterAuth');
    login.scrypt = results.get('scrypt');
    login.summaries.betterAuth = baSum;
    login.summaries.scrypt = scryptSum;
    login.ratios.betterAuthToRawScrypt = baRatio;
  } else if (bench.betterAuth?.skipped)
    rows.push({
      scenario: 'POST /api/auth/sign-in/email',
      server: 'Better Auth',
      note: `skipped: ${bench.betterAuth.skipped}`,
    });
  return {
    rows,
    targets,
    scenarios: { login },
    settings: { argon2Options, scryptOptions },
  };
}

module.exports = { run };
