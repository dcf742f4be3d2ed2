import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyIdTokenSignature } from './id-token-signature';

type Jose = typeof import('jose');
// A source of its own per evaluation, as in id-token-signature.ts: Stryker runs this file many times in one process,
// and V8 would reuse the compiled code, with the import hook of the first, torn-down jest environment.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importJose = new Function(
  `return import("jose") // ${randomUUID()}`,
) as () => Promise<Jose>;

/** A provider's key endpoint whose published keys the test can swap, as a key rotation does. */
describe(verifyIdTokenSignature.name, () => {
  let jose: Jose;
  let server: Server;
  let jwksUri: string;
  let published: object[] = [];
  const fetches = new Map<string, number>();

  beforeAll(async () => {
    jose = await importJose();
    server = createServer((req, res) => {
      fetches.set(req.url ?? '', (fetches.get(req.url ?? '') ?? 0) + 1);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  async function keyPair(kid: string) {
    const { privateKey, publicKey } = await jose.generateKeyPair('RS256');
    return {
      privateKey,
      kid,
      jwk: { ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256' },
    };
  }

  const sign = (
    key: {
      privateKey: Parameters<InstanceType<Jose['SignJWT']>['sign']>[0];
      kid: string;
    },
    claims: object = {},
  ) =>
    new jose.SignJWT({ sub: 'u1', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer('https://idp.example')
      .setAudience('client-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);
  const expected = { issuer: 'https://idp.example', audience: 'client-1' };

  it('accepts a token signed by a published key, and one signed by a key published after a rotation', async () => {
    const first = await keyPair('k1');
    published = [first.jwk];
    await expect(
      verifyIdTokenSignature(await sign(first), jwksUri, expected),
    ).resolves.toBeUndefined();
    const second = await keyPair('k2');
    published = [second.jwk];
    await expect(
      verifyIdTokenSignature(await sign(second), jwksUri, expected),
    ).resolves.toBeUndefined();
  });

  it('refuses a token signed by a key the provider does not publish, even under a published kid', async () => {
    const real = await keyPair('k3');
    const forger = await keyPair('k3');
    published = [real.jwk];
    await expect(
      verifyIdTokenSignature(await sign(forger), jwksUri, expected),
    ).rejects.toThrow();
  });

  it('refuses a token for another audience or issuer', async () => {
    const key = await keyPair('k4');
    published = [key.jwk];
    const token = await sign(key);
    await expect(
      verifyIdTokenSignature(token, jwksUri, {
        ...expected,
        audience: 'other',
      }),
    ).rejects.toThrow();
    await expect(
      verifyIdTokenSignature(token, jwksUri, {
        ...expected,
        issuer: 'https://evil.example',
      }),
    ).rejects.toThrow();
  });

  it("fetches a provider's keys once for tokens signed by a key it already knows", async () => {
    const key = await keyPair('k5');
    published = [key.jwk];
    const ownUri = jwksUri.replace('/jwks', '/jwks-k5');
    for (let i = 0; i < 3; i++)
      await expect(
        verifyIdTokenSignature(await sign(key), ownUri, expected),
      ).resolves.toBeUndefined();
    expect(fetches.get('/jwks-k5')).toBe(1);
  });
});
