import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet, { type HelmetOptions } from 'helmet';
import { securityHeaders } from './security-headers';

const OPTIONS: HelmetOptions = {
  hsts: false,
  contentSecurityPolicy: {
    directives: {
      upgradeInsecureRequests: null,
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
    },
  },
};

/** What helmet itself sets on a real response, per request, as `@fastify/helmet` would run it. */
async function headersFromHelmetPerRequest(
  options: HelmetOptions,
): Promise<Record<string, string>> {
  const server: Server = createServer((req, res) => {
    res.setHeader('x-powered-by', 'something');
    helmet(options)(req, res, () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (
        ![
          'date',
          'connection',
          'keep-alive',
          'content-length',
          'transfer-encoding',
        ].includes(name)
      )
        headers[name] = value;
    });
    return headers;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe(securityHeaders.name, () => {
  it('computes exactly the headers helmet sets when it runs on every request', async () => {
    expect(securityHeaders(OPTIONS)).toEqual(
      await headersFromHelmetPerRequest(OPTIONS),
    );
    expect(securityHeaders({ hsts: true })).toEqual(
      await headersFromHelmetPerRequest({ hsts: true }),
    );
  });

  it('refuses a CSP directive computed per request instead of freezing its first value', () => {
    expect(() =>
      securityHeaders({
        contentSecurityPolicy: {
          directives: { scriptSrc: ["'self'", () => "'nonce-abc'"] },
        },
      }),
    ).toThrow(/per-request/);
  });
});
