'use strict';
// Protected GETs with 200 distinct tokens for a minute, in 5 s slices, watching Gatehouse's RSS. Target 5.
const { login } = require('../lib/accounts');
const { load, getRequests } = require('../lib/load');
const { log, summarize, verdict } = require('../lib/report');
const { request } = require('../lib/servers');

/** `count` access tokens of one session, each from a refresh of the one before. */
async function distinctTokens(port, count) {
  const tokens = [];
  let refresh = (await login(port)).refresh_token;
  for (let i = 0; i < count; i += 1) {
    const res = await request(port, 'POST', '/auth/refresh', {
      body: { refresh_token: refresh },
    });
    if (res.status !== 200)
      throw new Error(`refresh: ${res.status} ${res.text}`);
    refresh = res.json.refresh_token;
    tokens.push(res.json.access_token);
  }
  return tokens;
}

async function run(bench) {
  const { soakSeconds } = bench.options;
  const { gatehouse } = bench.servers;
  log(`scenario: ${soakSeconds} s soak with 200 distinct tokens…`);
  const tokens = await distinctTokens(gatehouse.port, 200);
  const slices = [];
  for (let t = 0; t < soakSeconds; t += 5) {
    const result = await load({
      port: gatehouse.port,
      seconds: 5,
      requests: getRequests('/auth/me', tokens),
      server: gatehouse,
    });
    slices.push({ ...result, rssMb: gatehouse.rssMb() });
  }
  // The first slice warms the caches; growth is measured from there.
  const first = slices[1]?.rssMb ?? slices[0].rssMb;
  const last = slices[slices.length - 1].rssMb;
  const growth = (last - first) / first;
  return {
    rows: [
      {
        scenario: `soak ${soakSeconds} s, 200 tokens`,
        server: 'Gatehouse (PGlite)',
        ...summarize(slices),
        rssMb: last,
        note: `RSS ${Math.round(first)} → ${Math.round(last)} MB`,
      },
    ],
    targets: [
      {
        target: '5. RSS growth over a 60 s soak ≤ 10%',
        measured: `${(growth * 100).toFixed(1)}%`,
        verdict: verdict(growth <= 0.1),
      },
    ],
    scenarios: { soak: { slices, growth } },
  };
}

module.exports = { run };
