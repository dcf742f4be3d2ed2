'use strict';
// Protected GET /auth/me: Gatehouse against the bare fast-jwt verifier and the NestJS tutorial set-up, with HS256
// and (when Gatehouse signs it) ES256, plus an older build with --baseline; and Gatehouse on PostgreSQL against
// Better Auth's session check (GET /api/auth/get-session with its session cookie), its defaults and its cookie cache.
// Server CPU per request is the headline (it stays meaningful on a busy machine); throughput beside it. Targets 1.
const { createSigner, createDecoder } = require('fast-jwt');
const { load, interleave, getRequests, cycleRequests } = require('../lib/load');
const { log, summarize, verdict, ms, ratio } = require('../lib/report');
const { request } = require('../lib/servers');

const SCENARIO = 'protected GET /auth/me';
const BA_SCENARIO = 'protected GET, PostgreSQL';

/** A contender whose GET /auth/me takes `token`. */
const bearerContender = (key, label, server, token) => ({
  key,
  label,
  server,
  requests: async () => getRequests('/auth/me', token),
  check: () => request(server.port, 'GET', '/auth/me', { token }),
});

/**
 * Better Auth's GET /api/auth/get-session with a session cookie from `signIn()`. The cookie-cache instance signs in
 * again before every run: its cached copy lasts 5 minutes, and autocannon would keep sending a stale one.
 */
function betterAuthContender(key, label, server, signIn) {
  let cookie;
  const fresh = async () => (cookie = await signIn());
  return {
    key,
    label,
    server,
    scenario: BA_SCENARIO,
    requests: async () =>
      cycleRequests('GET', '/api/auth/get-session', [
        { headers: { cookie: await fresh() } },
      ]),
    check: async () => {
      const res = await request(server.port, 'GET', '/api/auth/get-session', {
        headers: { cookie: cookie ?? (await fresh()) },
      });
      // get-session answers 200 with null for no session, so only a session in the body counts.
      return res.json?.session ? res : { ...res, status: 401 };
    },
  };
}

/** Each server under load with a token (or cookie) it accepts. */
function contenders(bench) {
  const { servers, baseline, tokens, esTokens, esPrivatePem, pg } = bench;
  const decode = createDecoder({ complete: true });
  const esAlg = decode(esTokens.access_token).header.alg;
  // The references verify a token with Gatehouse's claims (same size, same checks), signed with their key.
  const refHs = tokens.access_token;
  const refEs = createSigner({
    key: esPrivatePem,
    algorithm: 'ES256',
    kid: 'bench',
  })(decode(tokens.access_token).payload);
  const list = [
    bearerContender(
      'gh',
      'Gatehouse (Fastify, passport-jwt, HS256)',
      servers.gatehouse,
      tokens.access_token,
    ),
    bearerContender(
      'bare',
      'bare node:http + fast-jwt HS256',
      servers.bareHs,
      refHs,
    ),
    bearerContender(
      'express',
      'NestJS Express + passport-jwt, string secret',
      servers.express,
      refHs,
    ),
  ];
  if (baseline)
    list.push(
      bearerContender(
        'baseline',
        `Gatehouse baseline (${bench.options.baselineDist})`,
        baseline.server,
        baseline.tokens.access_token,
      ),
    );
  if (esAlg === 'ES256')
    list.push(
      bearerContender(
        'ghEs',
        'Gatehouse (Fastify, passport-jwt, ES256)',
        servers.gatehouseEs,
        esTokens.access_token,
      ),
      bearerContender(
        'bareEs',
        'bare node:http + fast-jwt ES256',
        servers.bareEs,
        refEs,
      ),
    );
  const ba = bench.betterAuth;
  if (pg && ba?.servers) {
    list.push(
      {
        ...bearerContender(
          'ghPg',
          'Gatehouse on PostgreSQL (HS256)',
          pg.server,
          pg.tokens.access_token,
        ),
        scenario: BA_SCENARIO,
        dbCpu: pg.dbCpu,
      },
      {
        ...betterAuthContender(
          'ba',
          'Better Auth get-session, defaults',
          ba.servers.defaults,
          ba.signIn.defaults,
        ),
        dbCpu: ba.dbCpu,
      },
      {
        ...betterAuthContender(
          'baCache',
          'Better Auth get-session, cookie cache on',
          ba.servers.cached,
          ba.signIn.cached,
        ),
        dbCpu: ba.dbCpu,
      },
    );
  }
  return { list, esAlg };
}

/** `a` against `b`: by server CPU per request (b's over a's, higher is better) and by throughput. */
const vs = (a, b) => ({ cpu: b.cpuUs / a.cpuUs, rps: a.rps / b.rps });
const show = (x, a, b) =>
  `${ratio(x.cpu)} by CPU (${Math.round(a.cpuUs)} vs ${Math.round(b.cpuUs)} µs/req), ${ratio(x.rps)} req/s (p99 ${ms(a.p99)} vs ${ms(b.p99)} ms)`;

/** Target 1 for one algorithm: Gatehouse `gh` at least half the bare verifier, at least 6× the tutorial set-up. */
function targetsFor(alg, gh, bare, exp, bareName) {
  const r = { bare: vs(gh, bare), express: vs(gh, exp) };
  const targets = [
    {
      target: `1. ${alg} protected GET ≥ 0.5× ${bareName}, by CPU and by req/s`,
      measured: show(r.bare, gh, bare),
      verdict: verdict(r.bare.cpu >= 0.5 && r.bare.rps >= 0.5),
    },
    {
      target: `1. ${alg} protected GET ≥ 6× NestJS-Express string secret, by CPU and by req/s`,
      measured: show(r.express, gh, exp),
      verdict: verdict(r.express.cpu >= 6 && r.express.rps >= 6),
    },
  ];
  return { r, targets };
}

/** Gatehouse on PostgreSQL against Better Auth, server CPU and with the database backends' CPU added. */
function peerRatios(gh, ba) {
  const total = (s) => s.cpuUs + (s.dbCpuUs ?? 0);
  return {
    cpu: ba.cpuUs / gh.cpuUs,
    cpuWithDb: total(ba) / total(gh),
    rps: gh.rps / ba.rps,
  };
}

async function run(bench) {
  log(`scenario: ${SCENARIO}…`);
  const { seconds, warmup, rounds } = bench.options;
  const { list: servers, esAlg } = contenders(bench);
  for (const s of servers) {
    const check = await s.check();
    if (check.status !== 200)
      throw new Error(`${s.label}: GET answered ${check.status} ${check.text}`);
    await load({
      port: s.server.port,
      seconds: warmup,
      requests: await s.requests(),
    });
  }
  const results = await interleave(rounds, servers, async (s) =>
    load({
      port: s.server.port,
      seconds,
      requests: await s.requests(),
      server: s.server,
      dbCpu: s.dbCpu,
    }),
  );
  const sum = {};
  const rows = [];
  for (const s of servers) {
    const summary = { ...summarize(results.get(s)), rssMb: s.server.rssMb() };
    sum[s.key] = summary;
    rows.push({
      scenario: s.scenario ?? SCENARIO,
      server: s.label,
      ...summary,
    });
  }
  const hs = targetsFor(
    'HS256',
    sum.gh,
    sum.bare,
    sum.express,
    'bare fast-jwt',
  );
  const ratios = hs.r;
  const targets = [...hs.targets];
  if (esAlg === 'ES256') {
    const es = targetsFor(
      'ES256',
      sum.ghEs,
      sum.bareEs,
      sum.express,
      'bare fast-jwt ES256',
    );
    ratios.esBare = es.r.bare;
    ratios.esExpress = es.r.express;
    targets.push(...es.targets);
  } else {
    rows.push({
      scenario: SCENARIO,
      server: 'Gatehouse ES256',
      note: `skipped: not supported yet (JWT_ALGORITHM=ES256 still signs ${esAlg})`,
    });
    targets.push({
      target: '1. ES256 targets',
      measured: 'skipped: not supported yet',
      verdict: 'n/a',
    });
  }
  for (const row of rows) {
    const key = servers.find((s) => s.label === row.server)?.key;
    if (key && key !== 'bare' && key !== 'bareEs' && sum.bare)
      row.note = `${ratio(sum.bare.cpuUs / row.cpuUs)} bare HS256 by CPU, ${ratio(row.rps / sum.bare.rps)} by req/s`;
  }
  if (sum.ba) {
    ratios.betterAuth = peerRatios(sum.ghPg, sum.ba);
    ratios.betterAuthCookieCache = peerRatios(sum.ghPg, sum.baCache);
    for (const [label, r] of [
      ['Better Auth get-session, defaults', ratios.betterAuth],
      [
        'Better Auth get-session, cookie cache on',
        ratios.betterAuthCookieCache,
      ],
    ])
      rows.find((row) => row.server === label).note =
        `Gatehouse on PostgreSQL: ${ratio(r.cpu)} less server CPU, ${ratio(r.cpuWithDb)} with the DB's, ${ratio(r.rps)} req/s`;
  } else if (bench.betterAuth?.skipped)
    rows.push({
      scenario: BA_SCENARIO,
      server: 'Better Auth',
      note: `skipped: ${bench.betterAuth.skipped}`,
    });
  const protectedGet = {
    servers: servers.map((s) => ({
      key: s.key,
      label: s.label,
      rounds: results.get(s),
      summary: sum[s.key],
    })),
    ratios,
  };
  return { rows, targets, scenarios: { protectedGet } };
}

module.exports = { run };
