'use strict';
// Starting, probing and stopping the servers under test. Each server is a direct child `node` process, so its pid
// is the process whose RSS we report.
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const http = require('node:http');
const { join } = require('node:path');

const { setTimeout: sleep } = require('node:timers/promises');
const { pinnedNode } = require('./pinning');

const HOST = '127.0.0.1';

/** One request; `headers` are added to the JSON and bearer ones. Answers { status, headers, json, text }. */
function request(port, method, path, { body, token, headers } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: HOST,
        port,
        method,
        path,
        headers: {
          ...(payload
            ? {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload),
              }
            : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, json, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * `node <script> <args…>`, with the same node binary as the benchmark, on the CPUs of `role` (bench/lib/pinning.js):
 * taskset execs node, so the child's pid is node's.
 */
function spawnNode(script, args, options, role = 'server') {
  const [command, argv] = pinnedNode(role, [script, ...args.map(String)]);
  return spawn(command, argv, options);
}

/** Starts `node <script>` with `env`, and waits until it answers HTTP on `port`. */
async function startServer({ name, script, port, env, cwd }) {
  const child = spawnNode(script, [], {
    cwd,
    // NODE_PATH lets a build placed outside the project (--dist) find the project's node_modules.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_PATH: join(cwd, 'node_modules'),
      ...env,
      PORT: String(port),
      HOST,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(
        `${name} exited (${child.exitCode}) during start:\n${stderr}`,
      );
    try {
      await request(port, 'GET', '/');
      return {
        name,
        port,
        pid: child.pid,
        stderr: () => stderr,
        rssMb: () => rssMb(child.pid),
        cpuSeconds: () => cpuSeconds(child.pid),
        stop: () => stopChild(child),
      };
    } catch {
      await sleep(200);
    }
  }
  stopChild(child);
  throw new Error(
    `${name} did not answer on port ${port} within 60 s:\n${stderr}`,
  );
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function rssMb(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return match ? Number(match[1]) / 1024 : NaN;
}

const CLOCK_TICKS = 100;

/** User + system CPU time the process has used: per request, it stays meaningful when other work shares the CPU. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

module.exports = {
  HOST,
  cpuSeconds,
  request,
  spawnNode,
  startServer,
  stopChild,
};
