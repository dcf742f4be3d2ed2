import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  type OperationObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { PUBLIC_EXTENSION } from './access/public.decorator';
import { problemResponse } from './common/api-problems.decorator';
import { BASIC_SCHEME, BEARER_SCHEME } from './common/openapi-schemes';

export { BASIC_SCHEME, BEARER_SCHEME };
import { ProblemDetailsDto } from './common/problem-details';

/** Every tag an operation may carry, in the order Swagger UI shows them; tags no route uses are left out. */
export const OPENAPI_TAGS: ReadonlyArray<{
  name: string;
  description: string;
}> = [
  {
    name: 'auth',
    description: 'Registration, login, token refresh, logout, the current user',
  },
  {
    name: 'sessions',
    description: "The caller's sessions (one per login, until logout)",
  },
  { name: 'users', description: 'User administration (role admin)' },
  {
    name: 'keys',
    description: 'Public signing keys and discovery for token verifiers',
  },
  {
    name: 'audit',
    description:
      'The audit trail of security events (sign-ins, revocations, admin changes)',
  },
  { name: 'health', description: 'Liveness and readiness' },
];

const HTTP_METHODS = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
] as const;

export function packageVersion(): string {
  const pkg = JSON.parse(
    readFileSync(join(__dirname, '..', 'package.json'), 'utf8'),
  ) as { version: string };
  return pkg.version;
}

function operationsOf(
  document: OpenAPIObject,
): Array<OperationObject & Record<string, unknown>> {
  return Object.values(document.paths).flatMap((pathItem) =>
    HTTP_METHODS.map((method) => pathItem[method]).filter(
      (op): op is OperationObject => op !== undefined,
    ),
  ) as Array<OperationObject & Record<string, unknown>>;
}

/**
 * Security is derived from @Public(), so no route is annotated twice: an operation without the public marker
 * needs the bearer token. A public route that authenticates its callers itself (token introspection's Basic
 * credentials) declares that with @ApiBasicAuth/@ApiBearerAuth, and keeps it. Anything that can be refused gets
 * its 401.
 */
function applySecurity(op: OperationObject & Record<string, unknown>): void {
  if (op[PUBLIC_EXTENSION]) {
    delete op[PUBLIC_EXTENSION];
    op.security = op.security?.length ? op.security : [];
  } else {
    op.security = [{ [BEARER_SCHEME]: [] }];
  }
  if (op.security.length) op.responses['401'] ??= problemResponse(401);
}

/** The global ProblemDetailsFilter answers every error as problem details, whatever a library decorator claims. */
function documentErrorsAsProblems(op: OperationObject): void {
  for (const [status, response] of Object.entries(op.responses)) {
    const code = Number(status);
    if (code >= 400 && response && !('$ref' in response))
      op.responses[status] = {
        ...problemResponse(code, response.description),
        ...(response.headers ? { headers: response.headers } : {}),
      };
  }
}

/** Swagger UI shows every declared tag and security scheme, so the ones no route uses are left out. */
function pruneUnused(document: OpenAPIObject): void {
  const ops = operationsOf(document);
  const tags = new Set(ops.flatMap((op) => op.tags ?? []));
  const schemes = new Set(
    ops.flatMap((op) => (op.security ?? []).flatMap((s) => Object.keys(s))),
  );
  document.tags = (document.tags ?? []).filter((tag) => tags.has(tag.name));
  const declared = document.components?.securitySchemes ?? {};
  for (const name of Object.keys(declared))
    if (!schemes.has(name)) delete declared[name];
}

/** Builds the OpenAPI document served at /docs-json and committed as openapi.json. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Gatehouse')
    .setDescription(
      'Self-hosted authentication API. Register at `POST /auth/register`, log in at `POST /auth/login`, then click ' +
        '**Authorize** and paste the `access_token`; routes without a lock need no token. ' +
        'Every error is an RFC 9457 problem details object (`application/problem+json`) with a stable `code`.',
    )
    .setVersion(packageVersion())
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'The access_token from POST /auth/login',
      },
      BEARER_SCHEME,
    )
    .addBasicAuth(
      {
        type: 'http',
        scheme: 'basic',
        description: 'Client credentials, only where a route asks for them',
      },
      BASIC_SCHEME,
    );
  for (const tag of OPENAPI_TAGS) builder.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
    extraModels: [ProblemDetailsDto],
  });
  for (const op of operationsOf(document)) {
    applySecurity(op);
    documentErrorsAsProblems(op);
  }
  pruneUnused(document);
  return document;
}

function sortedKeys<T extends object>(record: T): T {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ) as T;
}

/**
 * The committed openapi.json form: paths and schemas sorted by key, so module import order does not churn the
 * snapshot; everything else keeps the order the code declares (response codes sort themselves as integer keys).
 */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  const copy = JSON.parse(JSON.stringify(document)) as OpenAPIObject;
  copy.paths = sortedKeys(copy.paths);
  if (copy.components?.schemas)
    copy.components.schemas = sortedKeys(copy.components.schemas);
  return `${JSON.stringify(copy, null, 2)}\n`;
}

/**
 * Serves Swagger UI at /docs. `persistAuthorization` keeps a pasted bearer token in the browser's localStorage for
 * this origin, where any script running on it can read it: a convenience for development, off in production, where
 * that token may be an admin's.
 */
export function setupSwagger(
  app: INestApplication,
  options: { persistAuthorization: boolean },
): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: `Gatehouse ${document.info.version} API docs`,
    swaggerOptions: {
      persistAuthorization: options.persistAuthorization,
      displayOperationId: true,
      displayRequestDuration: true,
      tryItOutEnabled: false,
      // A self-hosted server's docs make no calls to swagger.io.
      validatorUrl: null,
    },
  });
}
