import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROBLEM_JSON } from 'src/common/problem-details';
import {
  BEARER_SCHEME,
  OPENAPI_TAGS,
  serializeOpenApiDocument,
} from 'src/openapi';
import { createTestApp, type TestApp } from './helpers/test-app';

const SNAPSHOT = join(__dirname, '..', 'openapi.json');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const PROBLEM_REF = '#/components/schemas/ProblemDetailsDto';

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<
    string,
    { content?: Record<string, { schema?: { $ref?: string } }> }
  >;
}

interface Schema {
  properties?: Record<
    string,
    { example?: unknown; default?: unknown; enum?: unknown[] }
  >;
  required?: string[];
}

interface Document {
  openapi: string;
  info: { title: string; version: string };
  tags: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    securitySchemes?: Record<string, object>;
  };
}

interface Located {
  method: string;
  path: string;
  op: Operation;
}

function operations(doc: Document): Located[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );
}

const label = ({ method, path }: Located): string =>
  `${method.toUpperCase()} ${path}`;

/** The request body Swagger UI pre-fills: each property's example, else its default, else its first enum value. */
function exampleBody(doc: Document, op: Operation): Record<string, unknown> {
  const ref = op.requestBody?.content['application/json']?.schema.$ref ?? '';
  const schema = doc.components.schemas[ref.split('/').pop() ?? ''];
  return Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, prop]) => [
      name,
      prop.example ?? prop.default ?? prop.enum?.[0],
    ]),
  );
}

/**
 * swagger-parser's own dependency is ESM-only and Jest cannot `require` it (Node can), so the document is
 * validated in a child node process: it reads the document on stdin and prints the validation error, if any.
 */
function validateWithSwaggerParser(doc: Document): string {
  const script = `
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c)).on('end', () =>
      require('@apidevtools/swagger-parser')
        .validate(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        .then(() => process.stdout.write('valid'), (e) => process.stdout.write(String(e.message))));`;
  const result = spawnSync(process.execPath, ['--no-warnings', '-e', script], {
    cwd: join(__dirname, '..'),
    input: JSON.stringify(doc),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return result.stdout || result.stderr || String(result.error);
}

function findOperation(doc: Document, operationId: string): Operation {
  const found = operations(doc).find((o) => o.op.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId}`);
  return found.op;
}

describe('OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: Document;

  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http().get('/docs-json').expect(200)).body as Document;
  });
  afterAll(async () => {
    await t.close();
  });

  it('is valid OpenAPI 3 according to swagger-parser', () => {
    expect(validateWithSwaggerParser(doc)).toBe('valid');
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('fails swagger-parser validation when the document is broken', () => {
    // Proves the validator runs: a dangling $ref must be reported.
    const broken = structuredClone(doc);
    const register = findOperation(broken, 'register');
    register.requestBody!.content['application/json'].schema.$ref =
      '#/components/schemas/NoSuchDto';
    expect(validateWithSwaggerParser(broken)).toMatch(/NoSuchDto|resolve/i);
  });

  it('is titled with the product name and the package.json version', () => {
    const pkg = JSON.parse(
      readFileSync(join(__dirname, '..', 'package.json'), 'utf8'),
    ) as { version: string };
    expect(doc.info).toMatchObject({
      title: 'Gatehouse',
      version: pkg.version,
    });
  });

  it('gives every operation a unique operationId that reads as a method name', () => {
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(5);
    const bad = ops
      .filter((o) => !/^[a-z][a-zA-Z]+$/.test(o.op.operationId ?? ''))
      .map((o) => `${label(o)}: ${o.op.operationId}`);
    expect(bad).toEqual([]);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('names the foundation operations for a generated client', () => {
    const ids = Object.fromEntries(
      operations(doc).map((o) => [label(o), o.op.operationId]),
    );
    expect(ids).toMatchObject({
      'POST /auth/register': 'register',
      'POST /auth/login': 'login',
      'POST /auth/refresh': 'refreshTokens',
      'POST /auth/logout': 'logout',
      'GET /auth/me': 'getMe',
      'POST /auth/password': 'changePassword',
      'GET /auth/sessions': 'listSessions',
      'DELETE /auth/sessions': 'revokeOtherSessions',
      'DELETE /auth/sessions/{id}': 'revokeSession',
      'GET /health': 'checkHealth',
    });
  });

  it('documents every error response as problem details', () => {
    const errors = operations(doc).flatMap((o) =>
      Object.entries(o.op.responses)
        .filter(([status]) => Number(status) >= 400)
        .map(([status, response]) => ({
          at: `${label(o)} ${status}`,
          response,
        })),
    );
    expect(errors.length).toBeGreaterThan(10);
    const bad = errors
      .filter(
        ({ response }) =>
          Object.keys(response.content ?? {}).join() !== PROBLEM_JSON ||
          response.content?.[PROBLEM_JSON].schema?.$ref !== PROBLEM_REF,
      )
      .map(({ at }) => at);
    expect(bad).toEqual([]);
    expect(doc.components.schemas.ProblemDetailsDto.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']),
    );
  });

  it('requires the bearer token, and documents its 401, on every operation except the public ones', () => {
    const ops = operations(doc);
    const publicOps = ops.filter((o) => o.op.security?.length === 0);
    const secured = ops.filter((o) => !publicOps.includes(o));
    expect(publicOps.map(label)).toEqual(
      expect.arrayContaining([
        'POST /auth/register',
        'POST /auth/login',
        'POST /auth/refresh',
        'GET /health',
      ]),
    );
    expect(secured.map(label)).toEqual(
      expect.arrayContaining(['GET /auth/me', 'GET /auth/sessions']),
    );
    const schemes = doc.components.securitySchemes ?? {};
    // Each secured operation takes the bearer token (alone, or as one alternative), names only declared
    // schemes, and documents the 401 it answers without credentials.
    const bad = secured
      .filter(
        (o) =>
          !o.op.security?.some(
            (alt) =>
              JSON.stringify(alt) === JSON.stringify({ [BEARER_SCHEME]: [] }),
          ) ||
          o.op.security.some((alt) =>
            Object.keys(alt).some((name) => !(name in schemes)),
          ) ||
          !('401' in o.op.responses),
      )
      .map((o) => `${label(o)}: ${JSON.stringify(o.op.security)}`);
    expect(bad).toEqual([]);
    expect(schemes[BEARER_SCHEME]).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: expect.any(String),
    });
  });

  it('matches what the server enforces: secured operations answer 401 without a token, public ones do not', async () => {
    const uuid = '00000000-0000-4000-8000-000000000000';
    const results = [];
    for (const o of operations(doc)) {
      const url = o.path.replace(/\{[^}]+\}/g, uuid);
      const req = t.http()[o.method as 'get'](url);
      const res = o.op.requestBody ? await req.send({}) : await req;
      results.push({
        at: label(o),
        // No requirement, or the empty one among others (a token is optional).
        public:
          o.op.security?.length === 0 ||
          (o.op.security ?? []).some((r) => Object.keys(r).length === 0),
        unauthorized: res.status === 401,
      });
    }
    expect(results.filter((r) => r.public === r.unauthorized)).toEqual([]);
  });

  it('groups every operation under one of the documented tags', () => {
    const known = OPENAPI_TAGS.map((tag) => tag.name);
    expect(known).toEqual([
      'auth',
      'email',
      'mfa',
      'passkeys',
      'federation',
      'sessions',
      'oauth',
      'users',
      'keys',
      'audit',
      'health',
    ]);
    const untagged = operations(doc)
      .filter((o) => o.op.tags?.length !== 1 || !known.includes(o.op.tags[0]))
      .map((o) => `${label(o)}: ${o.op.tags?.join(',')}`);
    expect(untagged).toEqual([]);
    const used = new Set(operations(doc).map((o) => o.op.tags?.[0]));
    // Only tags in use, in the fixed order, each with a description.
    expect(doc.tags.map((tag) => tag.name)).toEqual(
      known.filter((name) => used.has(name)),
    );
    expect(doc.tags.every((tag) => Boolean(tag.description))).toBe(true);
  });

  it('lists operations the way a newcomer uses them: account and tokens, sessions, OAuth, admin, health', () => {
    const ids = operations(doc).map((o) => o.op.operationId);
    expect(ids.slice(0, 5)).toEqual([
      'register',
      'login',
      'refreshTokens',
      'logout',
      'getMe',
    ]);
    const tags = operations(doc).map((o) => o.op.tags?.[0]);
    // Swagger UI groups by tag in document order: each tag's operations are contiguous and the tags follow
    // OPENAPI_TAGS.
    const runs = tags.filter((tag, i) => tag !== tags[i - 1]);
    expect(runs).toEqual(doc.tags.map((tag) => tag.name));
    expect(
      ['revokeToken', 'introspectToken', 'getJwks'].map(
        (id) => tags[ids.indexOf(id)],
      ),
    ).toEqual(['oauth', 'oauth', 'oauth']);
  });

  it('gives every request body field an example, so Swagger UI shows usable requests', () => {
    const missing = operations(doc)
      .filter((o) => o.op.requestBody)
      .flatMap((o) =>
        Object.entries(exampleBody(doc, o.op))
          .filter(([, example]) => example === undefined)
          .map(([field]) => `${label(o)}: ${field}`),
      );
    expect(missing).toEqual([]);
  });

  it('has a register example that registers and a login example that logs in after it', async () => {
    const register = exampleBody(doc, findOperation(doc, 'register'));
    const login = exampleBody(doc, findOperation(doc, 'login'));
    const created = await t
      .http()
      .post('/auth/register')
      .send(register)
      .expect(201);
    expect(created.body).toMatchObject({ username: register.username });
    const tokens = await t.http().post('/auth/login').send(login).expect(200);
    await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${tokens.body.access_token}`)
      .expect(200);
    const change = exampleBody(doc, findOperation(doc, 'changePassword'));
    await t
      .http()
      .post('/auth/password')
      .set('authorization', `Bearer ${tokens.body.access_token}`)
      .send(change)
      .expect(204);
  });

  it('serves the same document as YAML and Swagger UI titled with the version', async () => {
    const yaml = await t.http().get('/docs-yaml').expect(200);
    expect(yaml.text).toContain(`version: ${doc.info.version}`);
    const html = await t.http().get('/docs').redirects(1).expect(200);
    expect(html.text).toContain(
      `<title>Gatehouse ${doc.info.version} API docs</title>`,
    );
  });

  it('lets Swagger UI keep the authorization across reloads outside production', async () => {
    const init = await t.http().get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toMatch(/"persistAuthorization": true/);
  });

  it('equals the committed openapi.json snapshot', () => {
    const generated = serializeOpenApiDocument(doc as never);
    const committed = existsSync(SNAPSHOT)
      ? readFileSync(SNAPSHOT, 'utf8')
      : '';
    if (committed === generated) return;
    if (!committed)
      throw new Error(
        'openapi.json is missing. Run `npm run openapi` and commit it.',
      );
    const before = JSON.parse(committed) as Document;
    const after = JSON.parse(generated) as Document;
    const differs = (a: object, b: object): string[] =>
      [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
        (key) =>
          JSON.stringify(a[key as keyof typeof a]) !==
          JSON.stringify(b[key as keyof typeof b]),
      );
    const paths = differs(before.paths, after.paths);
    const schemas = differs(
      before.components.schemas,
      after.components.schemas,
    );
    throw new Error(
      'openapi.json differs from the code' +
        (paths.length ? `; paths: ${paths.join(', ')}` : '') +
        (schemas.length ? `; schemas: ${schemas.join(', ')}` : '') +
        '. Run `npm run openapi` and commit openapi.json.',
    );
  });
});

describe('Swagger UI in production (e2e)', () => {
  it('does not keep the bearer token in the browser (no persistAuthorization)', async () => {
    const t = await createTestApp({
      NODE_ENV: 'production',
      EMAIL_FEATURES: 'off',
      PASSKEYS: 'off',
    });
    try {
      const init = await t.http().get('/docs/swagger-ui-init.js').expect(200);
      expect(init.text).toMatch(/"persistAuthorization": false/);
      expect(init.text).not.toMatch(/"persistAuthorization": true/);
    } finally {
      await t.close();
    }
  });
});
