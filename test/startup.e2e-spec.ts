import { type ChildProcess, spawn } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './helpers/eventually';
import { ensureBuilt } from './helpers/spawn-app';

/**
 * The built server as `npm start` runs it: configuration errors, the development secret, graceful shutdown.
 * Each test starts its own process on a port of its own and kills it afterwards.
 */
jest.setTimeout(180_000);

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'main.js');

interface Server {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];

function startServer(env: Record<string, string>): Server {
  // Only what the test chooses: nothing from the developer's shell (a JWT_SECRET there would hide the point).
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => ({ stdout, stderr }), exited };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function call(
  port: number,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          ...(options.body ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

async function waitForHealth(port: number, server: Server): Promise<void> {
  await until(
    () => `a healthy server on ${port}: ${server.output().stderr}`,
    async () => {
      if (server.child.exitCode !== null)
        throw new Error(`server exited early: ${server.output().stderr}`);
      const status = await call(port, 'GET', '/health').then(
        (r) => r.status,
        () => 0,
      );
      return status === 200;
    },
    { timeoutMs: 120_000, intervalMs: 200 },
  );
}

/** The lines a failed start printed, ignoring Node's own warnings. */
function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/ExperimentalWarning|--trace-warnings/.test(l));
}

describe('starting dist/main.js (e2e)', () => {
  let dataDir: string;

  beforeAll(() => {
    ensureBuilt();
  });
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
  });
  afterEach(() => {
    for (const child of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null)
        child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start in production without JWT_SECRET, in one line naming it', async () => {
    const server = startServer({
      NODE_ENV: 'production',
      PORT: '4110',
      DATA_DIR: dataDir,
    });
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const lines = errorLines(server.output().stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/JWT_SECRET/);
    expect(lines[0]).not.toMatch(/\bat \S+ \(/);
    // Nothing was generated: production never invents a secret.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses to start in production with email features on and no SMTP server, in one line naming SMTP_URL', async () => {
    const server = startServer({
      NODE_ENV: 'production',
      PORT: '4110',
      DATA_DIR: dataDir,
      JWT_SECRET: 'a-production-secret-that-is-long-enough-0000',
      APP_URL: 'https://app.example.com',
    });
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const lines = errorLines(server.output().stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SMTP_URL: required in production/);
    expect(lines[0]).not.toMatch(/JWT_SECRET/);
    // No mail folder either: production never writes mail to files.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses a production JWT_SECRET shorter than 32 bytes without echoing it', async () => {
    const secret = 'short-secret-value';
    const server = startServer({
      NODE_ENV: 'production',
      PORT: '4110',
      DATA_DIR: dataDir,
      JWT_SECRET: secret,
    });
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    const lines = errorLines(server.output().stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/JWT_SECRET/);
    expect(server.output().stderr + server.output().stdout).not.toContain(
      secret,
    );
  });

  it('refuses a bad JWT_ACCESS_TTL, in one line naming it', async () => {
    const server = startServer({
      NODE_ENV: 'development',
      PORT: '4110',
      DATA_DIR: dataDir,
      JWT_ACCESS_TTL: '15 minutes',
    });
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const lines = errorLines(server.output().stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/JWT_ACCESS_TTL/);
  });

  it('refuses an unreadable TLS_CERT_FILE, in one line naming it', async () => {
    const server = startServer({
      NODE_ENV: 'development',
      PORT: '4110',
      DATA_DIR: dataDir,
      TLS_CERT_FILE: join(dataDir, 'missing-cert.pem'),
      TLS_KEY_FILE: join(dataDir, 'missing-key.pem'),
    });
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    const lines = errorLines(server.output().stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/TLS_CERT_FILE/);
  });

  it('generates a development secret into DATA_DIR (mode 0600), warns, serves, and reuses it after a restart', async () => {
    const env = { NODE_ENV: 'development', PORT: '4111', DATA_DIR: dataDir };
    const first = startServer(env);
    await waitForHealth(4111, first);

    const secrets = readdirSync(dataDir).filter((f) => /secret/i.test(f));
    expect(secrets).toHaveLength(1);
    const mode = statSync(join(dataDir, secrets[0])).mode & 0o777;
    expect(mode.toString(8)).toBe('600');
    const { stdout, stderr } = first.output();
    const warnings = `${stdout}\n${stderr}`
      .split('\n')
      .filter((line) => line.includes('JWT_SECRET'));
    // Warned exactly once, and the warning does not print the secret itself.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/warn/i);
    const secret = readFileSync(join(dataDir, secrets[0]), 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(43);
    expect(`${stdout}${stderr}`).not.toContain(secret);

    const user = {
      username: 'restart_user',
      email: 'restart@example.com',
      password: 'a long enough password',
    };
    expect(
      (
        await call(4111, 'POST', '/auth/register', {
          body: JSON.stringify(user),
        })
      ).status,
    ).toBe(201);
    const login = await call(4111, 'POST', '/auth/login', {
      body: JSON.stringify({
        username: user.username,
        password: user.password,
      }),
    });
    expect(login.status).toBe(200);
    const token = (JSON.parse(login.body) as { access_token: string })
      .access_token;

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });

    // Same DATA_DIR: same database and the same secret, so the old token still verifies.
    const second = startServer(env);
    await waitForHealth(4111, second);
    const me = await call(4111, 'GET', '/auth/me', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(200);
    expect(readdirSync(dataDir).filter((f) => /secret/i.test(f))).toEqual(
      secrets,
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it('on SIGTERM finishes the in-flight request, then exits 0', async () => {
    const server = startServer({
      NODE_ENV: 'development',
      PORT: '4112',
      DATA_DIR: dataDir,
    });
    await waitForHealth(4112, server);

    const body = JSON.stringify({
      username: 'inflight_user',
      email: 'inflight@example.com',
      password: 'a long enough password',
    });
    const half = Math.floor(body.length / 2);
    // A request whose headers have arrived but whose body is still coming: it is in flight when SIGTERM lands.
    const answer = new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: 4112,
          method: 'POST',
          path: '/auth/register',
          agent: false,
          headers: {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: text,
            }),
          );
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, half));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(half)), 500);
      }, 500);
    });

    const res = await answer;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ username: 'inflight_user' });
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // Stopped accepting: nothing listens any more.
    await expect(call(4112, 'GET', '/health')).rejects.toThrow(/ECONNREFUSED/);
  });
});
