'use strict';
// Turns round results into medians, ranges and verdicts, and the run into bench/results/latest.json and the
// printed tables.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const RESULTS = join(__dirname, '../results');

const log = (line) => process.stdout.write(`${line}\n`);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median and range of the rounds of one server in one scenario. */
function summarize(rounds) {
  const rps = rounds.map((r) => r.rps);
  return {
    rps: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuUs: median(rounds.map((r) => r.cpuUs ?? NaN)),
    dbCpuUs: median(rounds.map((r) => r.dbCpuUs ?? NaN)),
    non2xx: rounds.reduce((n, r) => n + (r.non2xx ?? 0), 0),
    errors: rounds.reduce((n, r) => n + (r.errors ?? 0), 0),
  };
}

const int = (n) =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
const ms = (n) =>
  Number.isFinite(n) ? String(Math.round(n * 100) / 100) : '–';
const mb = (n) => (Number.isFinite(n) ? String(Math.round(n)) : '–');
const ratio = (n) =>
  Number.isFinite(n) ? `${(Math.round(n * 100) / 100).toFixed(2)}×` : '–';

/**
 * A Markdown table, so the same text goes to the terminal and into the README. Server CPU per request comes first:
 * it is the headline, throughput depends more on what else the machine runs. DB CPU is that of the PostgreSQL
 * backends serving the server's database, where measured.
 */
function table(rows) {
  const header = [
    'scenario',
    'server',
    'CPU µs/req',
    'DB CPU µs/req',
    'req/s (median)',
    'range',
    'p50 ms',
    'p99 ms',
    'RSS MB',
    'note',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    r.server,
    int(r.cpuUs),
    int(r.dbCpuUs),
    int(r.rps),
    Number.isFinite(r.rpsMin) ? `${int(r.rpsMin)}–${int(r.rpsMax)}` : '–',
    ms(r.p50),
    ms(r.p99),
    mb(r.rssMb),
    [
      r.note,
      r.non2xx || r.errors ? `${r.non2xx} non-2xx, ${r.errors} errors` : '',
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => l[i].length)),
  );
  const fmt = (cells) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    fmt(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(fmt),
  ].join('\n');
}

function targetsTable(targets) {
  const lines = targets.map(
    (t) => `| ${t.target} | ${t.measured} | ${t.verdict} |`,
  );
  return ['| target | measured | verdict |', '|---|---|---|', ...lines].join(
    '\n',
  );
}

const verdict = (ok) => (ok ? 'met' : 'MISSED');

function writeResults(json) {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    join(RESULTS, 'latest.json'),
    `${JSON.stringify(json, null, 2)}\n`,
  );
}

/** The run's settings, both tables and how long it took, from what writeResults wrote. */
function printReport(json) {
  log('');
  log(
    `Gatehouse benchmark — ${json.quick ? 'quick' : 'full'} run, ${json.rounds} interleaved rounds × ${json.secondsPerRun} s, ${json.connections} connections, node ${json.node}, ${json.cpus} CPUs, ${json.startedAt}`,
  );
  log(`load generator: autocannon in its own process; ${json.pinning}`);
  log('');
  log(table(json.rows));
  log('');
  if (json.peers?.length) {
    // Required here: peers.js takes its number formats from this file.
    log(require('./peers').peersTable(json.peers));
    log('');
  }
  log(targetsTable(json.targets));
  log('');
  log(
    `written: bench/results/latest.json (${int((Date.now() - Date.parse(json.startedAt)) / 1000)} s)`,
  );
}

module.exports = {
  log,
  median,
  summarize,
  verdict,
  int,
  ms,
  ratio,
  table,
  targetsTable,
  writeResults,
  printReport,
};
