import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type TestApp } from './helpers/test-app';

const PORT = 4101;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  send: typeof httpsRequest | typeof httpRequest,
  options: RequestOptions,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = send({ host: '127.0.0.1', port: PORT, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.setTimeout(5_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('TLS (e2e)', () => {
  let dir: string;
  let cert: Buffer;
  let t: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    t = await createTestApp({
      TLS_CERT_FILE: join(dir, 'cert.pem'),
      TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    await t.app.listen(PORT, '127.0.0.1');
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /health over https to a client that trusts the certificate', async () => {
    const res = await get(httpsRequest, { path: '/health', ca: cert });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok' });
    // With TLS on, browsers are told to stay on https.
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(
      get(httpsRequest, { path: '/health', rejectUnauthorized: true }),
    ).rejects.toThrow(/self[- ]signed/i);
  });

  it('does not answer plain http on the TLS port', async () => {
    const outcome = await get(httpRequest, { path: '/health' }).then(
      (res) => res.status,
      (error: Error) => error.message,
    );
    expect(outcome).not.toBe(200);
  });
});
