import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  createConnection,
  createServer,
  type Server,
  type Socket,
} from 'node:net';
import { join } from 'node:path';
import { until } from './eventually';

/**
 * Helpers for tests that run Gatehouse the way it is deployed: `node dist/main.js` processes configured by
 * environment only, next to servers (Redis, a TCP proxy in front of PostgreSQL) the test can stop and restart.
 */

const ROOT = join(__dirname, '..', '..');
const ENTRY = join(ROOT, 'dist', 'main.js');

/**
 * Builds dist/ through scripts/ensure-build.js (the same step `npm start` runs) when it is missing or older than
 * src/, so spawned processes run the code under test. Returns the entry point.
 */
export function ensureBuilt(): string {
  const build = spawnSync(
    process.execPath,
    [join(ROOT, 'scripts', 'ensure-build.js')],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (build.status !== 0 || !existsSync(ENTRY))
    throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
  return ENTRY;
}

/** True when something accepts TCP connections on host:port within `timeoutMs` (synchronous, for skip decisions). */
export function isReachableSync(
  host: string,
  port: number,
  timeoutMs = 1_000,
): boolean {
  const script = `const s=require('net').connect(${port},${JSON.stringify(host)});s.setTimeout(${timeoutMs},()=>process.exit(1));s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));`;
  return spawnSync(process.execPath, ['-e', script]).status === 0;
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

export interface SpawnedApp {
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

async function waitForExit(
  child: ChildProcess,
  exited: Promise<number | null>,
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Starts `node dist/main.js` on 127.0.0.1:port and waits until it answers /health (any status). */
export async function spawnApp(
  port: number,
  env: Record<string, string>,
  options: { waitReady?: boolean; timeoutMs?: number } = {},
): Promise<SpawnedApp> {
  const entry = ensureBuilt();
  let output = '';
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      DOCS_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  const app: SpawnedApp = {
    url,
    output: () => output,
    exited,
    stop: () => waitForExit(child, exited, 5_000),
  };
  if (options.waitReady === false) return app;

  let ended = false;
  void exited.then(() => (ended = true));
  try {
    await until(
      `Gatehouse on port ${port} to answer /health`,
      async () => {
        if (ended) throw new Error('it exited');
        return fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })
          .then(() => true)
          .catch(() => false);
      },
      { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 100 },
    );
    return app;
  } catch {
    await app.stop();
    throw new Error(
      `Gatehouse on port ${port} did not become ready${ended ? ' (it exited)' : ''}:\n${output}`,
    );
  }
}

export interface RedisServer {
  url: (db?: number) => string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
}

/** A redis-server of the test's own on `port`, without persistence, that the test may stop and start again. */
export async function startRedisServer(port: number): Promise<RedisServer> {
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    const current = child;
    exited = new Promise((resolve) => current.once('exit', resolve));
    await until(
      `redis-server on port ${port} to start`,
      () => canConnect(port),
      { timeoutMs: 10_000 },
    );
  };
  const stop = async (): Promise<void> => {
    if (child) await waitForExit(child, exited, 5_000);
    child = undefined;
  };
  await start();
  return {
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    start,
    stop,
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface TcpProxy {
  port: number;
  /** Closes the listener and every open connection: the target looks dead (connection refused). */
  cut: () => Promise<void>;
  restore: () => Promise<void>;
  close: () => Promise<void>;
}

/** A TCP proxy on 127.0.0.1:port to target, so a test can take a server "down" without touching it. */
export async function startTcpProxy(
  port: number,
  target: { host: string; port: number },
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server = createServer((client) => {
        const upstream = createConnection(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = async (): Promise<void> => {
    const current = server;
    server = undefined;
    sockets.forEach((socket) => socket.destroy());
    if (current) await new Promise((resolve) => current.close(resolve));
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}
