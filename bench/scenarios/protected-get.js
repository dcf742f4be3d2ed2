'use strict';
// Protected GET /auth/me: Gatehouse against the bare fast-jwt verifier and the NestJS tutorial set-up, with HS256
// and (when Gatehouse signs it) ES256, plus an older build with --baseline. Targets 1.
const { createSigner, createDecoder } = require('fast-jwt');
const { load, interleave, getRequests } = require('../lib/load');
const { log, summarize, verdict, ms, ratio } = require('../lib/report');
const { request } = require('../lib/servers');

const SCENARIO = 'protected GET /auth/me';

/** Each server under load with a token it accepts. */
function contenders(bench) {
  const { servers, baseline, tokens, esTokens, esPrivatePem } = bench;
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
    {
      label: 'Gatehouse (Fastify, passport-jwt, HS256)',
      server: servers.gatehouse,
      token: tokens.access_token,
    },
    {
      label: 'bare node:http + fast-jwt HS256',
      server: servers.bareHs,
      token: refHs,
    },
    {
      label: 'NestJS Express + passport-jwt, string secret',
      server: servers.express,
      token: refHs,
    },
  ];
  if (baseline)
    list.push({
      label: `Gatehouse baseline (${bench.options.baselineDist})`,
      server: baseline.server,
      token: baseline.tokens.access_token,
    });
  if (esAlg === 'ES256')
    list.push(
      {
        label: 'Gatehouse (Fastify, passport-jwt, ES256)',
        server: servers.gatehouseEs,
        token: esTokens.access_token,
      },
      {
        label: 'bare node:http + fast-jwt ES256',
        server: servers.bareEs,
        token: refEs,
      },
    );
  return { list, esAlg };
}

// Throughput ratio first (the target); the CPU-time ratio beside it stays meaningful on a busy machine.
const vs = (a, b) => ({ rps: a.rps / b.rps, cpu: b.cpuUs / a.cpuUs });
const show = (x, a, b) =>
  `${ratio(x.rps)} req/s, ${ratio(x.cpu)} by CPU time (p99 ${ms(a.p99)} vs ${ms(b.p99)} ms)`;

/** Target 1 for one algorithm: Gatehouse `gh` at least half the bare verifier, at least 6× the tutorial set-up. */
function targetsFor(alg, gh, bare, exp, bareName) {
  const r = { bare: vs(gh, bare), express: vs(gh, exp) };
  const targets = [
    {
      target: `1. ${alg} protected GET ≥ 0.5× ${bareName}`,
      measured: show(r.bare, gh, bare),
      verdict: verdict(r.bare.rps >= 0.5),
    },
    {
      target: `1. ${alg} protected GET ≥ 6× NestJS-Express string secret`,
      measured: show(r.express, gh, exp),
      verdict: verdict(r.express.rps >= 6),
    },
  ];
  return { r, targets };
}

async function run(bench) {
  log(`scenario: ${SCENARIO}…`);
  const { seconds, warmup, rounds } = bench.options;
  const { list: servers, esAlg } = contenders(bench);
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
      seconds: warmup,
      requests: getRequests('/auth/me', s.token),
    });
  }
  const results = await interleave(rounds, servers, (s) =>
    load({
      port: s.server.port,
      seconds,
      requests: getRequests('/auth/me', s.token),
      server: s.server,
    }),
  );
  const sum = new Map();
  const rows = [];
  for (const s of servers) {
    const summary = { ...summarize(results.get(s)), rssMb: s.server.rssMb() };
    sum.set(s, summary);
    rows.push({ scenario: SCENARIO, server: s.label, ...summary });
  }
  const [gh, bare, exp, ...rest] = servers.map((s) => sum.get(s));
  const [ghEs, bareEs] = bench.baseline ? rest.slice(1) : rest;
  const hs = targetsFor('HS256', gh, bare, exp, 'bare fast-jwt');
  const ratios = hs.r;
  const targets = [...hs.targets];
  if (esAlg === 'ES256') {
    const es = targetsFor('ES256', ghEs, bareEs, exp, 'bare fast-jwt ES256');
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
  const protectedGet = {
    servers: servers.map((s) => ({
      label: s.label,
      rounds: results.get(s),
      summary: sum.get(s),
    })),
    ratios,
  };
  return { rows, targets, scenarios: { protectedGet } };
}

module.exports = { run };
