import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  type OperationObject,
  SwaggerModule,
} from '@nestjs/swagger';
import {
  BEARER_OPTIONAL_EXTENSION,
  PUBLIC_EXTENSION,
} from './access/public.decorator';
import { STEP_UP_EXTENSION } from './access/step-up.decorator';
import { problemResponse } from './common/api-problems.decorator';
import { BASIC_SCHEME, BEARER_SCHEME } from './common/openapi-schemes';

export { BASIC_SCHEME, BEARER_SCHEME };
import { ProblemDetailsDto } from './common/problem-details';

/**
 * Every tag an operation may carry, in the order Swagger UI shows them: what a newcomer does first (an account and
 * its tokens, then their sessions), then what other services call, then administration, then probes. Tags no route
 * uses are left out.
 */
export const OPENAPI_TAGS: ReadonlyArray<{
  name: string;
  description: string;
}> = [
  {
    name: 'auth',
    description:
      'Registration, login, token refresh, logout, the current user and their security events',
  },
  {
    name: 'email',
    description:
      'Forgotten password, email verification and email change: the links a front end at APP_URL completes (docs/email.md)',
  },
  {
    name: 'mfa',
    description:
      'A second factor: TOTP enrolment with recovery codes, and the login challenge (docs/mfa.md)',
  },
  {
    name: 'passkeys',
    description:
      'Passkeys (WebAuthn): registration and passwordless sign-in; the front end calls navigator.credentials (docs/passkeys.md)',
  },
  {
    name: 'federation',
    description:
      'Sign-in through external OpenID Connect providers (Google, Microsoft, GitLab, Keycloak…) and the identities linked to an account (docs/federation.md)',
  },
  {
    name: 'sessions',
    description: "The caller's sessions (one per login, until logout)",
  },
  {
    name: 'oauth',
    description:
      'For other services: token revocation (RFC 7009), introspection (RFC 7662), discovery (RFC 8414) and the public signing keys (JWKS)',
  },
  { name: 'users', description: 'User administration (role admin)' },
  {
    name: 'keys',
    description: 'Signing keys and their rotation (role admin)',
  },
  {
    name: 'audit',
    description:
      'The audit trail of security events: sign-ins, revocations, admin changes (role admin)',
  },
  { name: 'health', description: 'Liveness and readiness' },
];

/**
 * The order of operations within their tag, the way a newcomer uses them. An operation not named here follows the
 * named ones of its tag, by path and method.
 */
export const OPENAPI_OPERATION_ORDER: readonly string[] = [
  'register',
  'login',
  'refreshTokens',
  'logout',
  'getMe',
  'changePassword',
  'changeEmail',
  'reauthenticate',
  'listMyEvents',
  'forgotPassword',
  'resetPassword',
  'sendVerificationEmail',
  'verifyEmail',
  'confirmEmailChange',
  'verifyMfa',
  'setupTotp',
  'confirmTotp',
  'regenerateRecoveryCodes',
  'disableTotp',
  'passkeyLoginOptions',
  'passkeyLogin',
  'passkeyRegistrationOptions',
  'registerPasskey',
  'listPasskeys',
  'renamePasskey',
  'deletePasskey',
  'startOidcSignIn',
  'oidcCallback',
  'exchangeOidcCode',
  'startOidcLink',
  'listIdentities',
  'unlinkIdentity',
  'listSessions',
  'revokeOtherSessions',
  'revokeSession',
  'revokeToken',
  'introspectToken',
  'getAuthorizationServerMetadata',
  'getJwks',
  'listUsers',
  'getUser',
  'updateUser',
  'deleteUser',
  'sendPasswordReset',
  'resetUserMfa',
  'listUserPasskeys',
  'deleteUserPasskey',
  'listSigningKeys',
  'rotateSigningKey',
  'listAuditEvents',
  'checkHealth',
  'checkReadiness',
  'checkLiveness',
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
  if (op[BEARER_OPTIONAL_EXTENSION]) {
    delete op[BEARER_OPTIONAL_EXTENSION];
    delete op[PUBLIC_EXTENSION];
    // With a token or without one (the empty requirement); a token that is sent is checked.
    op.security = [{ [BEARER_SCHEME]: [] }, {}];
  } else if (op[PUBLIC_EXTENSION]) {
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

/** A @StepUp() operation's 401 also names the refusal of a sign-in older than STEP_UP_MAX_AGE (RFC 9470). */
function documentStepUp(op: OperationObject & Record<string, unknown>): void {
  const scope = op[STEP_UP_EXTENSION];
  if (!scope) return;
  delete op[STEP_UP_EXTENSION];
  const unauthorized = op.responses['401'];
  if (!unauthorized || '$ref' in unauthorized) return;
  const needs = scope === 'some' ? 'Some changes here need' : 'Needs';
  op.responses['401'] = {
    ...unauthorized,
    description:
      `${unauthorized.description}. ${needs} a sign-in within STEP_UP_MAX_AGE (step-up): an older one is ` +
      'refused with `Bearer error="insufficient_user_authentication", max_age=<seconds>` (RFC 9470); sign in ' +
      'again or re-authenticate, then retry',
  };
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
    documentStepUp(op);
  }
  pruneUnused(document);
  document.paths = orderPaths(document.paths);
  return document;
}

type Rank = [tag: number, operation: number];

/** Where an operation sits: its tag's place in OPENAPI_TAGS, then its place in OPENAPI_OPERATION_ORDER. */
function rankOf(op: OperationObject): Rank {
  const tag = OPENAPI_TAGS.findIndex((t) => t.name === op.tags?.[0]);
  const operation = OPENAPI_OPERATION_ORDER.indexOf(op.operationId ?? '');
  return [
    tag < 0 ? OPENAPI_TAGS.length : tag,
    operation < 0 ? OPENAPI_OPERATION_ORDER.length : operation,
  ];
}

const compareRanks = (a: Rank, b: Rank): number => a[0] - b[0] || a[1] - b[1];

const compareText = (a: string, b: string): number =>
  a < b ? -1 : a > b ? 1 : 0;

/**
 * Swagger UI lists operations in document order, so the paths are put in the order a newcomer uses them (by tag,
 * then OPENAPI_OPERATION_ORDER, then path), and each path's methods likewise. The result depends on neither module
 * import order nor the order it was given in, so the committed snapshot does not churn.
 */
function orderPaths(paths: OpenAPIObject['paths']): OpenAPIObject['paths'] {
  const isMethod = (key: string): boolean =>
    (HTTP_METHODS as readonly string[]).includes(key);
  const ranked = Object.entries(paths).map(([path, item]) => {
    // Non-method keys (a path's shared parameters) stay ahead of its operations.
    const entries = Object.entries(item).map(([key, value]) => ({
      key,
      value: value as unknown,
      rank: isMethod(key) ? rankOf(value as OperationObject) : null,
    }));
    const byRank = (a: (typeof entries)[0], b: (typeof entries)[0]): number =>
      !a.rank || !b.rank
        ? Number(Boolean(a.rank)) - Number(Boolean(b.rank))
        : compareRanks(a.rank, b.rank) || compareText(a.key, b.key);
    entries.sort(byRank);
    const first = entries.find((e) => e.rank)?.rank ?? null;
    return { path, first, entries };
  });
  const last: Rank = [Infinity, Infinity];
  ranked.sort(
    (a, b) =>
      compareRanks(a.first ?? last, b.first ?? last) ||
      compareText(a.path, b.path),
  );
  return Object.fromEntries(
    ranked.map(({ path, entries }) => [
      path,
      Object.fromEntries(entries.map((e) => [e.key, e.value])),
    ]),
  );
}

function sortedKeys<T extends object>(record: T): T {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ) as T;
}

/**
 * The committed openapi.json form: paths in the newcomer's order (see orderPaths) and schemas sorted by key, so
 * module import order does not churn the snapshot; everything else keeps the order the code declares (response
 * codes sort themselves as integer keys).
 */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  const copy = JSON.parse(JSON.stringify(document)) as OpenAPIObject;
  copy.paths = orderPaths(copy.paths);
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
