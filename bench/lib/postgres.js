'use strict';
// Gatehouse's PostgreSQL scenarios: a throwaway database on BENCH_PG_URL's server, and the statement-counting
// proxy (pg-count-proxy.js) in front of it.
const { join } = require('node:path');
const { URL } = require('node:url');
const { Client } = require('pg');
const { PG_URL } = require('./options');
const { spawnNode, stopChild } = require('./servers');

/** Creates the database (named for this process); `drop()` removes it again, closing what is still connected. */
async function createThrowawayDatabase() {
  const admin = new Client({
    connectionString: PG_URL,
    connectionTimeoutMillis: 3000,
  });
  await admin.connect();
  const name = `gatehouse_bench_${process.pid}`;
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
      join(__dirname, 'pg-count-proxy.js'),
      [listenPort, targetPort],
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

module.exports = { createThrowawayDatabase, startProxy };
