import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './helpers/eventually';
import { ensureBuilt } from './helpers/spawn-app';
import { importJose } from './keys-helpers';

/**
 * The built server (dist/main.js) started the way operators start it, in production mode: which signing-key
 * configurations it refuses, with one line naming the key, and one it accepts.
 */
jest.setTimeout(180_000);

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const PORT = 4720;
const children: ChildProcess[] = [];

interface Exit {
  code: number | null;
  stderr: string;
  stdout: string;
}

function start(env: Record<string, string>): {
  child: ChildProcess;
  exited: Promise<Exit>;
  output: () => string;
} {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      // Mail is not what these tests are about; production would otherwise need SMTP_URL and APP_URL.
      EMAIL_FEATURES: 'off',
      PASSKEYS: 'off',
      HOST: '127.0.0.1',
      PORT: String(PORT),
      DATABASE_URL: 'pglite://memory',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr, stdout })),
  );
  return { child, exited, output: () => stdout + stderr };
}

/** The lines a failed start printed, without Node's own warnings. */
function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/ExperimentalWarning|--trace-warnings/.test(l));
}

async function refusal(env: Record<string, string>): Promise<string> {
  const { exited } = start(env);
  const exit = await exited;
  expect(exit.code).toBe(1);
  const lines = errorLines(exit.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toMatch(/\bat \S+ \(|node_modules/);
  return lines[0];
}

describe('production start with asymmetric keys (dist/main.js, e2e)', () => {
  let dir: string;
  let ecPem: string;
  let rsaPem: string;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-prod-'));
    ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ format: 'pem', type: 'pkcs1' })
      .toString();
    writeFileSync(join(dir, 'ec.pem'), ecPem, { mode: 0o600 });
    writeFileSync(join(dir, 'rsa.pem'), rsaPem, { mode: 0o600 });
    writeFileSync(join(dir, 'garbage.pem'), 'not a key\n', { mode: 0o600 });
  });
  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses database keys without KEYS_ENCRYPTION_KEY, naming it', async () => {
    const line = await refusal({ JWT_ALGORITHM: 'ES256', DATA_DIR: dir });
    expect(line).toMatch(
      /^Invalid configuration: KEYS_ENCRYPTION_KEY: required in production with JWT_ALGORITHM=ES256/,
    );
  });

  it('refuses an unreadable JWT_PRIVATE_KEY_FILE', async () => {
    const line = await refusal({
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY_FILE: join(dir, 'missing.pem'),
    });
    expect(line).toBe(
      `Invalid configuration: JWT_PRIVATE_KEY_FILE: cannot read ${join(dir, 'missing.pem')} (ENOENT)`,
    );
  });

  it('refuses a PEM that is no private key, or of the wrong type for the algorithm', async () => {
    expect(
      await refusal({
        JWT_ALGORITHM: 'RS256',
        JWT_PRIVATE_KEY_FILE: join(dir, 'garbage.pem'),
      }),
    ).toMatch(
      /^Invalid configuration: JWT_PRIVATE_KEY_FILE: is not an unencrypted PEM private key/,
    );
    expect(
      await refusal({
        JWT_ALGORITHM: 'ES256',
        JWT_PRIVATE_KEY_FILE: join(dir, 'rsa.pem'),
      }),
    ).toBe(
      'Invalid configuration: JWT_PRIVATE_KEY_FILE: the key is a rsa key, but JWT_ALGORITHM=ES256 needs an EC P-256 key',
    );
    expect(
      await refusal({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: ecPem }),
    ).toMatch(
      /^Invalid configuration: JWT_PRIVATE_KEY: the key is an ec key on prime256v1, but JWT_ALGORITHM=RS256 needs an RSA key$/,
    );
  });

  it('refuses a private key or rotation with HS256', async () => {
    expect(
      await refusal({
        JWT_SECRET: 'x'.repeat(48),
        JWT_PRIVATE_KEY_FILE: join(dir, 'ec.pem'),
      }),
    ).toMatch(
      /JWT_PRIVATE_KEY_FILE: a private key needs JWT_ALGORITHM=RS256 or ES256/,
    );
    expect(
      await refusal({ JWT_SECRET: 'x'.repeat(48), JWT_KEY_ROTATION: '30d' }),
    ).toMatch(
      /JWT_KEY_ROTATION: key rotation needs JWT_ALGORITHM=RS256 or ES256/,
    );
  });

  it('starts with the operator PEM (no JWT_SECRET needed) and serves it in the JWKS', async () => {
    const server = start({
      JWT_ALGORITHM: 'ES256',
      // One-line form, as .env files and container platforms carry it.
      JWT_PRIVATE_KEY: ecPem.replace(/\n/g, '\\n'),
      DATA_DIR: dir,
    });
    let body: { keys: Record<string, string>[] } | undefined;
    await until(
      () => `the JWKS to be served: ${server.output()}`,
      async () => {
        if (server.child.exitCode !== null)
          throw new Error(`server exited: ${server.output()}`);
        body = await fetch(`http://127.0.0.1:${PORT}/.well-known/jwks.json`)
          .then((r) => (r.ok ? (r.json() as Promise<typeof body>) : undefined))
          .catch(() => undefined);
        return body !== undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    expect(body?.keys).toHaveLength(1);
    const jose = await importJose();
    const expectedKid = await jose.calculateJwkThumbprint(
      await jose.exportJWK(createPublicKey(ecPem)),
    );
    expect(body?.keys[0]).toEqual({
      kid: expectedKid,
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
      alg: 'ES256',
      use: 'sig',
    });
    server.child.kill('SIGTERM');
    await server.exited;
  });
});
