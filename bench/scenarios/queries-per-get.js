'use strict';
// The SQL statements a protected GET sends, counted on the PostgreSQL wire: a cache should answer. Target 2.
const { setTimeout: sleep } = require('node:timers/promises');
const { load, getRequests } = require('../lib/load');
const { log, summarize, verdict } = require('../lib/report');

async function run(bench) {
  log('scenario: SQL statements per protected GET (PostgreSQL wire count)…');
  const { pg } = bench;
  const before = await pg.proxy.statements();
  const result = await load({
    port: pg.server.port,
    seconds: bench.options.seconds,
    requests: getRequests('/auth/me', pg.tokens.access_token),
    server: pg.server,
  });
  await sleep(200);
  const statements = (await pg.proxy.statements()) - before;
  const perGet = statements / result.ok;
  return {
    rows: [
      {
        scenario: 'protected GET /auth/me',
        server: 'Gatehouse on PostgreSQL 127.0.0.1',
        ...summarize([result]),
        rssMb: pg.server.rssMb(),
        note: `${statements} SQL statements in ${result.ok} requests`,
      },
    ],
    // Background work (the key-table reload every 30 s, the audit flush of the login made just before) sends a
    // few statements whatever the load; a query on the request path would send one or more per request.
    targets: [
      {
        target: '2. zero DB queries per steady-state protected GET',
        measured: `${statements} statements in ${result.ok} requests (${perGet.toFixed(5)}/request)`,
        verdict: verdict(perGet < 0.001),
      },
    ],
    scenarios: { queriesPerGet: { result, statementsPerRequest: perGet } },
  };
}

module.exports = { run };
