'use strict';
// Gatehouse's PostgreSQL scenarios: a throwaway database on BENCH_PG_URL's server, and the statement-counting
// proxy (pg-proxy.js, counting) in front of it.
const { join } = require('node:path');
const { URL } = require('node:url');
const { Client } = require('pg');
const { PG_URL } = require('./options');
const { cpuSeconds, spawnNode, stopChild } = require('./servers');

/**
 * Creates the database (`prefix` and this process's pid); `drop()` removes it again, closing what is still connected.
 */
async function createThrowawayDatabase(prefix = 'gatehouse_bench') {
  const admin = new Client({
    connectionString: PG_URL,
    connectionTimeoutMillis: 3000,
  });
  await admin.connect();
  const name = `${prefix}_${process.pid}`;
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  return {
    name,
    port: Number(url.port || 5432),
    user: url.username || 'postgres',
    drop: async () => {
      const c = new Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * Starts the proxy on `listenPort` in front of PostgreSQL on `targetPort`. `onStarted(stop)` hears of the process
 * at once, so a proxy that never gets ready is stopped too; the answer's `statements()` is the count so far.
 */
function startProxy(listenPort, targetPort, onStarted) {
  return new Promise((resolve, reject) => {
    const child = spawnNode(
      join(__dirname, 'pg-proxy.js'),
      [listenPort, targetPort, 'count'],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    onStarted(() => stopChild(child));
    child.once('message', () =>
      resolve({
        statements: () =>
          new Promise((res) => {
            child.once('message', (m) => res(m.statements));
            child.send('count');
          }),
      }),
    );
    child.once('exit', (code) => reject(new Error(`pg proxy exited ${code}`)));
  });
}

/**
 * The CPU time of the PostgreSQL backends serving database `name` (PostgreSQL on this machine, its processes
 * readable in /proc), for load()'s `dbCpu`: `refresh()` lists the backends, `before()` notes each backend's CPU, `after(noted)` answers the seconds
 * they used since, a backend that connected in between counted from its start, one that left in between not at all.
 * `onStarted(close)` hears of the connection it keeps for asking.
 */
async function databaseCpu(name, onStarted) {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  onStarted(() => client.end());
  const backends = async () =>
    (
      await client.query(
        'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      )
    ).rows.map((r) => r.pid);
  const cpuOf = (pid) => {
    try {
      return cpuSeconds(pid);
    } catch {
      return undefined;
    }
  };
  let known = await backends();
  return {
    refresh: async () => {
      known = await backends();
    },
    before: () => new Map(known.map((pid) => [pid, cpuOf(pid)])),
    after: async (noted) => {
      known = await backends();
      let used = 0;
      for (const pid of known) {
        const now = cpuOf(pid);
        if (now !== undefined) used += now - (noted.get(pid) ?? 0);
      }
      return used;
    },
  };
}

module.exports = { createThrowawayDatabase, databaseCpu, startProxy };
