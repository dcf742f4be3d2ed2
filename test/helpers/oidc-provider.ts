import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * A real OpenID provider (panva's oidc-provider, test/fixtures/oidc-provider/provider.mjs) in a child process.
 * oidc-provider is ESM-only, so it cannot be imported in-process under jest on Node 20. The browser that signs in
 * at its dev login and consent pages lives in oidc-browser.ts and is re-exported below.
 */

const PROVIDER_SCRIPT = join(
  __dirname,
  '..',
  'fixtures',
  'oidc-provider',
  'provider.mjs',
);
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
// Printed once per start by oidc-provider for the dev settings this fixture uses on purpose.
const DEV_WARNING = /^oidc-provider WARNING: /;

/** Claims of an account at the test provider; the key of `accounts` is the login typed into its form. */
export interface OidcTestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

export interface StartOidcProviderOptions {
  /** The redirect_uris registered for the client (exact match at the provider). */
  redirectUris: string[];
  /** 0 or absent: any free port. */
  port?: number;
  clientId?: string;
  clientSecret?: string;
  /** Extra accounts beside `alice` (verified email) and `bob` (unverified email), or replacements for them. */
  accounts?: Record<string, OidcTestAccount>;
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly issuer: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The kid of the key signing id_tokens now; changes on every rotateKeys(). */
  readonly kid: string;
  /** Restarts the provider on the same port with a fresh signing key; the client stays, sessions and codes go. */
  rotateKeys(): Promise<void>;
  /** Stops the provider and waits until the process has exited. Safe to call twice. */
  stop(): Promise<void>;
  /** What the provider wrote to stderr (its error events), without its start-up dev warnings. */
  logs(): string;
}

interface RunningProvider {
  child: ChildProcess;
  exited: Promise<void>;
  issuer: string;
  port: number;
  kid: string;
}

export async function startOidcProvider(
  options: StartOidcProviderOptions,
): Promise<TestOidcProvider> {
  const config = {
    clientId: options.clientId ?? 'gatehouse-test-client',
    clientSecret:
      options.clientSecret ?? 'gatehouse-test-client-secret-0123456789',
    redirectUris: options.redirectUris,
    accounts: options.accounts ?? {},
  };
  let logs = '';
  const appendLogs = (text: string): void => {
    logs += text
      .split('\n')
      .filter((line) => line !== '' && !DEV_WARNING.test(line))
      .map((line) => `${line}\n`)
      .join('');
  };
  let running: RunningProvider | undefined = await launch(
    { ...config, port: options.port ?? 0 },
    appendLogs,
  );
  const { issuer, port } = running;

  const stop = async (): Promise<void> => {
    const current = running;
    running = undefined;
    if (current) await terminate(current);
  };

  return {
    issuer,
    port,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    get kid(): string {
      if (!running) throw new Error('the test OpenID provider is stopped');
      return running.kid;
    },
    async rotateKeys(): Promise<void> {
      await stop();
      running = await launch({ ...config, port }, appendLogs);
    },
    stop,
    logs: () => logs,
  };
}

async function launch(
  config: Record<string, unknown>,
  onStderr: (text: string) => void,
): Promise<RunningProvider> {
  const child = spawn(
    process.execPath,
    [PROVIDER_SCRIPT, JSON.stringify(config)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
    onStderr(chunk);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );

  const failure = (reason: string): Error =>
    new Error(
      `test OpenID provider ${reason}:\n${stderr
        .split('\n')
        .filter((line) => !DEV_WARNING.test(line))
        .join('\n')}`,
    );
  const ready = new Promise<{ issuer: string; port: number; kid: string }>(
    (resolve, reject) => {
      let stdout = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        stdout += chunk;
        const newline = stdout.indexOf('\n');
        if (newline >= 0) resolve(JSON.parse(stdout.slice(0, newline)));
      });
      child.once('error', (error) =>
        reject(failure(`failed to spawn: ${error.message}`)),
      );
      void exited.then(() =>
        reject(failure(`exited with ${child.exitCode ?? child.signalCode}`)),
      );
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(failure(`did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
  });
  try {
    const started = await Promise.race([ready, timeout]);
    // One request through every route a relying party's first contact takes, so its first real discovery does not
    // also pay the provider's lazy start-up (a busy CI machine once made Gatehouse's discovery time out on that).
    await warmUp(started.issuer);
    return { child, exited, ...started };
  } catch (error) {
    await terminate({ child, exited });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function warmUp(issuer: string): Promise<void> {
  const metadata = (await (
    await fetch(`${issuer}/.well-known/openid-configuration`)
  ).json()) as { jwks_uri: string };
  await (await fetch(metadata.jwks_uri)).arrayBuffer();
}

async function terminate(
  provider: Pick<RunningProvider, 'child' | 'exited'>,
): Promise<void> {
  const { child, exited } = provider;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

// The browser that signs in at this provider; exported here too so a spec needs one import.
export { signInAtProvider, type SignInOptions } from './oidc-browser';
