'use strict';
// Protected GETs at a fixed rate, alone and while every connection of a second load logs in. Target 3.
const { load, interleave, getRequests, loginRequests } = require('../lib/load');
const { CONNECTIONS, LOGIN_USERS } = require('../lib/options');
const { log, summarize, verdict, ms, ratio } = require('../lib/report');

/** Fixed request rate of the protected GETs: latency is measured below saturation. */
const STORM_GET_RATE = 300;

async function run(bench) {
  log('scenario: protected GET p99 during a login storm…');
  const { seconds, rounds } = bench.options;
  const { gatehouse } = bench.servers;
  const getReq = getRequests('/auth/me', bench.tokens.access_token);
  const loginReq = loginRequests(LOGIN_USERS);
  const results = await interleave(rounds, ['calm', 'storm'], async (kind) => {
    const gets = load({
      port: gatehouse.port,
      seconds,
      requests: getReq,
      overallRate: STORM_GET_RATE,
    });
    if (kind === 'calm') return gets;
    const [getResult] = await Promise.all([
      gets,
      load({ port: gatehouse.port, seconds, requests: loginReq }),
    ]);
    return getResult;
  });
  const calm = summarize(results.get('calm'));
  const storm = summarize(results.get('storm'));
  const r = storm.p99 / calm.p99;
  const scenario = `GET /auth/me at ${STORM_GET_RATE}/s`;
  return {
    rows: [
      { scenario, server: 'Gatehouse, no login traffic', ...calm },
      {
        scenario,
        server: `Gatehouse, ${CONNECTIONS} connections logging in`,
        ...storm,
        rssMb: gatehouse.rssMb(),
      },
    ],
    targets: [
      {
        target: '3. GET p99 during a login storm ≤ 3× calm p99',
        measured: `${ratio(r)} (${ms(storm.p99)} ms vs ${ms(calm.p99)} ms)`,
        verdict: verdict(r <= 3),
      },
    ],
    scenarios: {
      storm: {
        calm: results.get('calm'),
        storm: results.get('storm'),
        ratio: r,
      },
    },
  };
}

module.exports = { run };
