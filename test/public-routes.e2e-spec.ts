import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { OpenAPIV3 } from 'openapi-types';
import { IS_PUBLIC_KEY } from 'src/access/public.decorator';
import { createTestApp, type TestApp } from './helpers/test-app';

/**
 * The only operations anyone may call without a bearer token. Adding a @Public() route means adding it here,
 * in the same change, on purpose.
 */
const PUBLIC_OPERATIONS = [
  // Discovery: public keys and RFC 8414 metadata.
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-authorization-server',
  // Probes.
  'GET /health',
  'GET /health/live',
  'GET /health/ready',
  'POST /auth/login',
  'POST /auth/refresh',
  'POST /auth/register',
  // RFC 7009 revocation: holding the token is the credential.
  'POST /auth/revoke',
  // Mail links: holding the token from the mail is the credential; asking for a link says nothing (always 202).
  'POST /auth/email/change/confirm',
  'POST /auth/email/verify',
  'POST /auth/password/forgot',
  'POST /auth/password/reset',
  // The second half of a login: holding the challenge token from the password step is the credential.
  'POST /auth/mfa/verify',
  // Passkey sign-in: the signed assertion is the credential.
  'POST /auth/passkeys/login',
  'POST /auth/passkeys/login/options',
  // Provider sign-in: the browser's trip to the provider and back, and the one-time code it returns with.
  'GET /auth/oidc/{provider}/start',
  'GET /auth/oidc/{provider}/callback',
  'POST /auth/oidc/exchange',
].sort();

/** Open without a token, but a token that is sent is checked (and serves its user): documented as either. */
const BEARER_OPTIONAL = ['POST /auth/email/verify/send'];

/** swagger-parser is ESM-only, which this CommonJS jest setup cannot load; validate in a child node instead. */
async function validateOpenApi(document: unknown): Promise<string> {
  const script = `
    import SwaggerParser from '@apidevtools/swagger-parser';
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    await SwaggerParser.validate(JSON.parse(Buffer.concat(chunks).toString()));
    console.log('valid');
  `;
  const child = promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    { cwd: process.cwd() },
  );
  child.child.stdin?.end(JSON.stringify(document));
  return (await child).stdout.trim();
}

/** Public routes deliberately left out of the OpenAPI document (each guarded by other means; see its controller). */
const UNDOCUMENTED_PUBLIC = ['GET /metrics'];

/** Public to the bearer guard because the route authenticates its caller by other means. */
const OWN_CLIENT_AUTH = ['POST /auth/introspect'];

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Operation {
  key: string;
  method: (typeof METHODS)[number];
  path: string;
  operation: OpenAPIV3.OperationObject;
}

function operationsOf(document: OpenAPIV3.Document): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item?.[method]).map((method) => ({
      key: `${method.toUpperCase()} ${path}`,
      method,
      path,
      operation: item![method]!,
    })),
  );
}

/**
 * Every route Nest registered from a controller, read from the same metadata the router and the guard use, with
 * paths in OpenAPI form (`/users/{id}`), so routes hidden from the document are checked too.
 */
function registeredRoutes(t: TestApp): { key: string; isPublic: boolean }[] {
  const reflector = new Reflector();
  const routes: { key: string; isPublic: boolean }[] = [];
  const join = (...parts: string[]): string =>
    `/${parts.join('/')}`
      .replace(/\/+/g, '/')
      .replace(/(.)\/$/, '$1')
      .replace(/:(\w+)/g, '{$1}');
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type;
      const bases = [
        Reflect.getMetadata(PATH_METADATA, controller) ?? '',
      ].flat();
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as
          RequestMethod | undefined;
        if (method === undefined) continue;
        const isPublic = Boolean(
          reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
            handler,
            controller,
          ]),
        );
        const paths = [
          Reflect.getMetadata(PATH_METADATA, handler) ?? '',
        ].flat();
        for (const base of bases as string[])
          for (const path of paths as string[])
            routes.push({
              key: `${RequestMethod[method]} ${join(base, path)}`,
              isPublic,
            });
      }
    }
  }
  return routes;
}

/** A concrete URL for an OpenAPI path: every `{param}` becomes a well-formed but unknown UUID. */
function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
}

describe('public routes and the OpenAPI document (e2e)', () => {
  let t: TestApp;
  let document: OpenAPIV3.Document;
  let operations: Operation[];

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.http().get('/docs-json').expect(200);
    document = res.body as OpenAPIV3.Document;
    operations = operationsOf(document);
  });
  afterAll(async () => {
    await t.close();
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    await expect(validateOpenApi(document)).resolves.toBe('valid');
  });

  it('declares a bearer security scheme', () => {
    const schemes = document.components?.securitySchemes ?? {};
    const bearer = Object.values(schemes).filter(
      (s) => 'type' in s && s.type === 'http' && s.scheme === 'bearer',
    );
    expect(bearer).toHaveLength(1);
  });

  it('lists exactly the expected operations as public', () => {
    const open = operations
      .filter((op) => !op.operation.security?.length)
      .map((op) => op.key)
      .sort();
    expect(open).toEqual(PUBLIC_OPERATIONS);
  });

  it('opens exactly the expected routes to the guard, documented or not', () => {
    const routes = registeredRoutes(t);
    expect(routes.length).toBeGreaterThanOrEqual(operations.length);
    expect(
      routes
        .filter((r) => r.isPublic)
        .map((r) => r.key)
        .sort(),
    ).toEqual(
      [
        ...PUBLIC_OPERATIONS,
        ...UNDOCUMENTED_PUBLIC,
        ...OWN_CLIENT_AUTH,
        ...BEARER_OPTIONAL,
      ].sort(),
    );
  });

  it('documents every route except the deliberately hidden ones', () => {
    const documented = new Set(operations.map((op) => op.key));
    const hidden = registeredRoutes(t)
      .map((r) => r.key)
      .filter((key) => !documented.has(key));
    expect(hidden.sort()).toEqual(UNDOCUMENTED_PUBLIC);
  });

  it('declares bearer security on every other operation', () => {
    const schemeName = Object.keys(
      document.components?.securitySchemes ?? {},
    )[0];
    const protectedOps = operations.filter(
      (op) =>
        !PUBLIC_OPERATIONS.includes(op.key) &&
        !BEARER_OPTIONAL.includes(op.key),
    );
    expect(protectedOps.length).toBeGreaterThan(0);
    for (const op of protectedOps) {
      expect({ op: op.key, security: op.operation.security }).toEqual({
        op: op.key,
        security: [{ [schemeName]: [] }],
      });
    }
  });

  it('offers the bearer-optional operations with a token or without one', () => {
    const schemeName = Object.keys(
      document.components?.securitySchemes ?? {},
    )[0];
    for (const key of BEARER_OPTIONAL) {
      const op = operations.find((o) => o.key === key);
      expect(op?.operation.security).toEqual([{ [schemeName]: [] }, {}]);
      expect(op?.operation.responses).toHaveProperty('401');
    }
  });

  it('checks a token sent to a bearer-optional operation, and answers without one', async () => {
    for (const key of BEARER_OPTIONAL) {
      const [, path] = key.split(' ');
      const bad = await t
        .http()
        .post(path)
        .set('authorization', 'Bearer not.a.token')
        .send({});
      expect({ key, status: bad.status }).toEqual({ key, status: 401 });
      const anonymous = await t.http().post(path).send({});
      expect(anonymous.status).not.toBe(401);
      expect(anonymous.status).toBeLessThan(500);
    }
  });

  it('does not leak the internal public marker into the document', () => {
    expect(JSON.stringify(document)).not.toContain('x-gatehouse-public');
    expect(JSON.stringify(document)).not.toContain('x-gatehouse-bearer');
  });

  it('documents a 401 problem on every protected operation', () => {
    for (const op of operations.filter(
      (o) => !PUBLIC_OPERATIONS.includes(o.key),
    )) {
      expect({ op: op.key, has401: '401' in op.operation.responses }).toEqual({
        op: op.key,
        has401: true,
      });
    }
  });

  it('answers 401 with a challenge on every protected operation without a token', async () => {
    const protectedOps = operations.filter(
      (op) =>
        !PUBLIC_OPERATIONS.includes(op.key) &&
        !BEARER_OPTIONAL.includes(op.key),
    );
    for (const op of protectedOps) {
      const req = t.http()[op.method](concrete(op.path));
      const res = ['post', 'put', 'patch'].includes(op.method)
        ? await req.send({})
        : await req;
      expect({ op: op.key, status: res.status }).toEqual({
        op: op.key,
        status: 401,
      });
      // Introspection offers Basic as well; every protected route offers Bearer.
      expect(res.headers['www-authenticate']).toMatch(/(^|, )Bearer realm=/);
      expect(res.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
    }
  });

  it('answers the public operations without a token (never 401)', async () => {
    for (const key of PUBLIC_OPERATIONS.filter(
      (k) => !OWN_CLIENT_AUTH.includes(k),
    )) {
      const [method, path] = key.split(' ');
      const req = t.http()[method.toLowerCase() as 'get' | 'post'](path);
      const res = method === 'POST' ? await req.send({}) : await req;
      expect({ key, status: res.status }).not.toEqual({ key, status: 401 });
      expect(res.status).toBeLessThan(500);
    }
  });

  it('does not ask routes with their own client authentication for a bearer token', async () => {
    for (const key of OWN_CLIENT_AUTH) {
      const [method, path] = key.split(' ');
      const res = await t.http()[method.toLowerCase() as 'post'](path).send({});
      expect(res.status).toBeLessThan(500);
      expect(res.body.code ?? '').not.toMatch(/^AUTH\.TOKEN_/);
    }
  });

  it('serves Swagger UI at /docs without a token', async () => {
    const res = await t.http().get('/docs').redirects(1);
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});

describe('DOCS_ENABLED=false (e2e)', () => {
  it('serves neither /docs nor /docs-json', async () => {
    const t = await createTestApp({ DOCS_ENABLED: 'false' });
    try {
      const json = await t.http().get('/docs-json');
      expect(json.status).toBe(404);
      expect(json.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      expect((await t.http().get('/docs')).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
