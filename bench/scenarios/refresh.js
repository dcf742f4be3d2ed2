'use strict';
// POST /auth/refresh chains on PGlite and PostgreSQL, with the SQL statements each refresh sends. Target 4.
const { setTimeout: sleep } = require('node:timers/promises');
const { login } = require('../lib/accounts');
const { load, interleave, refreshRequests } = require('../lib/load');
const { CONNECTIONS, LOGIN_USERS } = require('../lib/options');
const { log, median, summarize, verdict } = require('../lib/report');

/** One fresh session per connection (plus spares): the previous round may have left tokens mid-rotation. */
async function freshPool(port) {
  const pool = [];
  for (let i = 0; i < CONNECTIONS + 2; i += 4)
    pool.push(
      ...(
        await Promise.all(
          [0, 1, 2, 3].map((j) => login(port, LOGIN_USERS[i + j])),
        )
      ).map((t) => t.refresh_token),
    );
  return pool;
}

/** One load run on `t.server`; through a proxy, also the statements per refresh. */
async function measure(t, seconds) {
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
}

async function run(bench) {
  log('scenario: POST /auth/refresh on PGlite and PostgreSQL…');
  const { quick, seconds, warmup, rounds } = bench.options;
  const { pg } = bench;
  const servers = [
    {
      label: 'Gatehouse on PGlite (in-process)',
      server: bench.servers.gatehouse,
    },
  ];
  if (pg)
    servers.push({
      label: 'Gatehouse on PostgreSQL 127.0.0.1',
      server: pg.server,
      proxy: pg.proxy,
    });
  if (!quick) for (const t of servers) await measure(t, warmup);
  const results = await interleave(rounds, servers, (t) => measure(t, seconds));
  const rows = [];
  const targets = [];
  const refresh = {};
  for (const t of servers) {
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
    refresh[t.label] = {
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
  return { rows, targets, scenarios: { refresh } };
}

module.exports = { run };
