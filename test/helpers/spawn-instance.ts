import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');

export interface SpawnedInstance {
  url: string;
  port: number;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output: () => string;
  close: () => Promise<void>;
}

/** Builds dist/ once when it is missing (a fresh checkout); an existing build is used as is. */
export function ensureBuilt(): void {
  if (existsSync(MAIN)) return;
  const result = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0 || !existsSync(MAIN))
    throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
}

/** Starts `node dist/main.js` on 127.0.0.1:`port` with `env` and resolves once /health answers 200. */
export async function spawnInstance(
  port: number,
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<SpawnedInstance> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const instance: SpawnedInstance = {
    url,
    port,
    output: () => output,
    close: () => stop(child),
  };
  try {
    await waitForHealth(url, child, timeoutMs);
  } catch (error) {
    await stop(child);
    throw new Error(
      `instance on port ${port} did not become healthy: ${(error as Error).message}\n${output}`,
    );
  }
  return instance;
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    try {
      const res = await fetch(`${url}/health`, {
        signal: AbortSignal.timeout(1_000),
      });
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no 200 from /health within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL if the process has not exited after 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
