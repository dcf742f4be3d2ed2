'use strict';
// Protected GET /auth/me with 1, 1,000, 20,000 and 100,000 distinct valid access tokens taken round-robin, HS256 and
// ES256, Gatehouse beside the bare fast-jwt server (no cache: it verifies every token every time). Issue 22.
//
// How the tokens are made: REAL_LOGINS real logins per Gatehouse instance (so real sessions), then every token is
// signed here with the instance's own key (HS256: the JWT_SECRET setup.js gives it; ES256: the JWT_PRIVATE_KEY PEM
// setup.js gives it) with the header of a real token (alg, typ at+jwt, kid) and the claims of one of those real
// logins' tokens, only `jti` fresh (a random UUID, as AccessTokenService.sign makes it). `sid`, `sub`,
// `token_version`, `amr`, `auth_time`, `username`, `roles`, `iss`, `aud`, `iat` and `exp` (integers) are copied from
// the real token, so each minted token is byte-for-byte what Gatehouse would sign for that session at that second,
// with another jti. The guard cannot tell them apart: it checks the signature with the same key, the same claims, the
// same sessions against the revocation set, and caches by the raw token, which differs per jti. Refreshes would make
// the same tokens at about 800/s (100,000 in two minutes); signing them here takes seconds.
// Every token is checked before load (a sample on each server) and every run counts non-2xx answers: any refusal
// fails the scenario. The verified-token cache's hit and miss counters (/metrics) are read around each Gatehouse run.
const { randomUUID } = require('node:crypto');
const { createDecoder, createSigner } = require('fast-jwt');
const { login } = require('../lib/accounts');
const { load, interleave } = require('../lib/load');
const { METRICS_TOKEN, SECRET } = require('../lib/options');
const { log, summarize, verdict, ms, ratio } = require('../lib/report');
const { request } = require('../lib/servers');

const SCENARIO = 'GET /auth/me, distinct tokens';
const POPULATIONS = [1, 1_000, 20_000, 100_000];
const REAL_LOGINS = 4;
/** Tokens sent one by one to each server before load, spread over the whole population. */
const CHECKED = 200;

const decode = createDecoder({ complete: true });

/** `count` tokens for the sessions of `logins`, signed with `key` under a real token's header. */
function mint(logins, key, count) {
  const real = logins.map((l) => decode(l.access_token));
  const { alg, typ, kid } = real[0].header;
  const sign = createSigner({ key, algorithm: alg, typ, kid });
  const tokens = logins.map((l) => l.access_token);
  while (tokens.length < count) {
    const { payload } = real[tokens.length % real.length];
    tokens.push(sign({ ...payload, jti: randomUUID() }));
  }
  return tokens;
}

/** A sample of the population, first and last included, answered 200 one by one. */
async function checkAccepted(label, port, tokens) {
  const step = Math.max(1, Math.floor(tokens.length / CHECKED));
  for (let i = 0; i < tokens.length; i += step) {
    const res = await request(port, 'GET', '/auth/me', { token: tokens[i] });
    if (res.status !== 200)
      throw new Error(
        `${label}: token ${i} answered ${res.status} ${res.text}`,
      );
  }
}

/** The verified-token cache's counters, or undefined when /metrics does not show them (an older build). */
async function cacheCounters(port) {
  const res = await request(port, 'GET', '/metrics', {
    token: METRICS_TOKEN,
  });
  if (res.status !== 200) return undefined;
  const value = (name) => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(res.text);
    return match ? Number(match[1]) : undefined;
  };
  const hits = value('gatehouse_verified_token_cache_hits_total');
  const misses = value('gatehouse_verified_token_cache_misses_total');
  return hits === undefined || misses === undefined
    ? undefined
    : { hits, misses };
}

/** The servers of one algorithm with the population they are loaded with. */
async function contenders(bench, alg) {
  const { servers, options } = bench;
  const [gatehouse, bare, key, user] =
    alg === 'HS256'
      ? [servers.gatehouse, servers.bareHs, SECRET, bench.tokens]
      : [
          servers.gatehouseEs,
          servers.bareEs,
          bench.esPrivatePem,
          bench.esTokens,
        ];
  const logins = [user];
  while (logins.length < REAL_LOGINS) logins.push(await login(gatehouse.port));
  const signedAlg = decode(user.access_token).header.alg;
  if (signedAlg !== alg)
    throw new Error(`${gatehouse.name} signs ${signedAlg}, not ${alg}`);
  // Disjoint populations: a token of the 20,000 must not be a cache hit in the 100,000's run.
  const all = mint(
    logins,
    key,
    POPULATIONS.reduce((a, b) => a + b),
  );
  const list = [];
  for (const [label, server] of [
    [`Gatehouse ${alg}`, gatehouse],
    [`bare fast-jwt ${alg}`, bare],
  ]) {
    await checkAccepted(label, server.port, all);
    let from = 0;
    for (const size of POPULATIONS) {
      list.push({
        alg,
        label,
        server,
        size,
        tokens: all.slice(from, from + size),
      });
      from += size;
    }
  }
  log(
    `  ${alg}: ${all.length} tokens for ${REAL_LOGINS} real sessions, ${options.quick ? 'quick' : 'full'} mode`,
  );
  return list;
}

/**
 * GET /auth/me with the item's tokens in turn, going on where its previous run stopped: a run of a few seconds sends
 * fewer requests than 100,000, and starting each run from the first token would send the same few thousand again.
 */
function rotation(item) {
  item.next ??= 0;
  return [
    {
      method: 'GET',
      path: '/auth/me',
      setupRequest: (req) => ({
        ...req,
        headers: {
          authorization: `Bearer ${item.tokens[item.next++ % item.tokens.length]}`,
        },
      }),
    },
  ];
}

async function measure(item, seconds) {
  const counters = await cacheCounters(item.server.port);
  const result = await load({
    port: item.server.port,
    seconds,
    requests: rotation(item),
    server: item.server,
  });
  const after = counters && (await cacheCounters(item.server.port));
  if (after)
    result.cache = {
      hits: after.hits - counters.hits,
      misses: after.misses - counters.misses,
    };
  return result;
}

function hitRate(rounds) {
  const counted = rounds.filter((r) => r.cache);
  if (counted.length === 0) return undefined;
  const hits = counted.reduce((n, r) => n + r.cache.hits, 0);
  const all = hits + counted.reduce((n, r) => n + r.cache.misses, 0);
  return all ? hits / all : undefined;
}

const find = (items, sum, label, size) =>
  sum.get(items.find((i) => i.label === label && i.size === size));

/** Issue 22's two targets for one algorithm, by server CPU time per request. */
function targetsFor(alg, items, sum) {
  const top = Math.max(...POPULATIONS);
  const many = find(items, sum, `Gatehouse ${alg}`, top);
  const one = find(items, sum, `Gatehouse ${alg}`, 1);
  const bare = find(items, sum, `bare fast-jwt ${alg}`, top);
  const self = one.cpuUs / many.cpuUs;
  const vsBare = bare.cpuUs / many.cpuUs;
  return [
    {
      target: `22. ${alg} ${top.toLocaleString('en-US')} tokens ≥ 0.8× Gatehouse's one-token rate (CPU/req)`,
      measured: `${ratio(self)} (${Math.round(many.cpuUs)} vs ${Math.round(one.cpuUs)} µs/req; ${ratio(many.rps / one.rps)} by req/s)`,
      verdict: verdict(self >= 0.8),
    },
    {
      target: `22. ${alg} ${top.toLocaleString('en-US')} tokens ≥ 0.35× bare fast-jwt, same tokens (CPU/req)`,
      measured: `${ratio(vsBare)} (${Math.round(many.cpuUs)} vs ${Math.round(bare.cpuUs)} µs/req; ${ratio(many.rps / bare.rps)} by req/s; p99 ${ms(many.p99)} vs ${ms(bare.p99)} ms)`,
      verdict: verdict(vsBare >= 0.35),
    },
  ];
}

async function run(bench) {
  log(`scenario: ${SCENARIO}…`);
  const { warmup, quick } = bench.options;
  // Sixteen contenders: shorter runs than the other scenarios keep the whole run's length reasonable.
  const seconds = Math.min(bench.options.seconds, quick ? 2 : 5);
  const rounds = Math.min(bench.options.rounds, quick ? 2 : 3);
  const items = [
    ...(await contenders(bench, 'HS256')),
    ...(await contenders(bench, 'ES256')),
  ];
  for (const item of items) {
    const warm = await load({
      port: item.server.port,
      seconds: warmup,
      requests: rotation(item),
    });
    if (warm.non2xx || warm.errors)
      throw new Error(
        `${item.label}, ${item.size} tokens: ${warm.non2xx} non-2xx, ${warm.errors} errors while warming up`,
      );
  }
  const results = await interleave(rounds, items, (item) =>
    measure(item, seconds),
  );
  const rows = [];
  const sum = new Map();
  for (const item of items) {
    const summary = {
      ...summarize(results.get(item)),
      rssMb: item.server.rssMb(),
    };
    sum.set(item, summary);
    const rate = hitRate(results.get(item));
    rows.push({
      scenario: `${SCENARIO}: ${item.size.toLocaleString('en-US')}`,
      server: item.label,
      ...summary,
      note: rate === undefined ? '' : `cache hits ${(rate * 100).toFixed(1)}%`,
    });
  }
  const refused = rows.filter((r) => r.non2xx || r.errors);
  if (refused.length)
    throw new Error(
      `tokens refused: ${refused.map((r) => `${r.server} ${r.scenario} ${r.non2xx} non-2xx, ${r.errors} errors`).join('; ')}`,
    );
  const targets = [
    ...targetsFor('HS256', items, sum),
    ...targetsFor('ES256', items, sum),
  ];
  const tokenPopulation = items.map((item) => ({
    label: item.label,
    tokens: item.size,
    rounds: results.get(item),
    summary: sum.get(item),
    cacheHitRate: hitRate(results.get(item)),
  }));
  return { rows, targets, scenarios: { tokenPopulation } };
}

module.exports = { run };
