'use strict';
// EXPLAIN (FORMAT JSON) of the statements the statement proxy recorded, run on the million-row database with the
// parameters of each statement's first execution. A plan passes when no big table is read by a Seq Scan.
const { BIG_TABLES, connect } = require('./scale-data');

/** Transaction control and session settings have no plan. */
const NO_PLAN = /^\s*(begin|commit|rollback|set|show|savepoint|release)\b/i;

/** Every scan node of the plan: its type, the relation and the index it uses. */
function scans(plan, into = []) {
  if (plan['Relation Name'])
    into.push({
      node: plan['Node Type'],
      relation: plan['Relation Name'],
      index: plan['Index Name'],
    });
  for (const child of plan.Plans ?? []) scans(child, into);
  return into;
}

const oneLine = (text) => text.replace(/\s+/g, ' ').trim();

/**
 * Explains each statement (EXPLAIN does not run it; the transaction is rolled back all the same). Returns, per
 * statement, its scans, the big tables it reads by Seq Scan and whether it passed.
 */
async function explainAll(database, statements) {
  const client = await connect(database);
  const results = [];
  try {
    let n = 0;
    for (const statement of statements) {
      if (NO_PLAN.test(statement.text)) continue;
      n += 1;
      const name = `scale_explain_${n}`;
      const args = statement.params.map((p) =>
        p === null ? 'null' : client.escapeLiteral(p),
      );
      const result = {
        statement: oneLine(statement.text),
        executions: statement.executions,
        ...(statement.perRequest !== undefined && {
          perRequest: statement.perRequest,
        }),
        ...(statement.endpoints && { endpoints: statement.endpoints }),
      };
      try {
        await client.query('begin');
        await client.query(`prepare ${name} as ${statement.text}`);
        const { rows } = await client.query(
          `explain (format json) execute ${name}${args.length ? `(${args.join(', ')})` : ''}`,
        );
        const plan = rows[0]['QUERY PLAN'][0].Plan;
        result.scans = scans(plan);
        result.totalCost = plan['Total Cost'];
        result.seqScansOnBigTables = result.scans
          .filter(
            (s) => s.node === 'Seq Scan' && BIG_TABLES.includes(s.relation),
          )
          .map((s) => s.relation);
        result.ok = result.seqScansOnBigTables.length === 0;
      } catch (error) {
        // A statement that cannot be explained is not proven to use an index: it fails the check.
        result.error = error.message;
        result.ok = false;
      } finally {
        await client.query('rollback');
      }
      results.push(result);
    }
  } finally {
    await client.end();
  }
  return results;
}

/** One line per statement for the printed report. */
function describe(result) {
  const how = result.error
    ? `could not EXPLAIN: ${result.error}`
    : result.scans
        .map((s) => `${s.node} ${s.relation}${s.index ? ` (${s.index})` : ''}`)
        .join(', ') || 'no table read';
  const per =
    result.perRequest === undefined
      ? ''
      : ` [${Object.entries(result.perRequest)
          .map(([endpoint, n]) => `${endpoint} ${n.toFixed(2)}/req`)
          .join(', ')}]`;
  return `${result.ok ? 'ok  ' : 'FAIL'} ${result.statement.slice(0, 140)}${per}\n       → ${how}`;
}

module.exports = { describe, explainAll };
