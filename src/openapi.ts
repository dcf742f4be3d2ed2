import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { PUBLIC_EXTENSION } from './auth/decorators/public.decorator';

export const BEARER_SCHEME = 'bearer';

export function packageVersion(): string {
  const pkg = JSON.parse(
    readFileSync(join(__dirname, '..', 'package.json'), 'utf8'),
  ) as { version: string };
  return pkg.version;
}

/**
 * Builds the OpenAPI document. Security is derived from @Public(): every operation without the public marker
 * gets the bearer requirement, so no route is annotated twice.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const version = packageVersion();
  const config = new DocumentBuilder()
    .setTitle('Gatehouse')
    .setDescription(
      'Self-hosted authentication API. Log in at `POST /auth/login`, then click **Authorize** and paste the `access_token`. ' +
        'Errors are RFC 9457 problem details (`application/problem+json`).',
    )
    .setVersion(version)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'The access_token from /auth/login',
      },
      BEARER_SCHEME,
    )
    .addTag(
      'auth',
      'Registration, login, token refresh, logout, the current user',
    )
    .addTag('sessions', "The caller's sessions (refresh-token families)")
    .addTag('health', 'Liveness and readiness')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (
        !operation ||
        typeof operation !== 'object' ||
        !('responses' in operation)
      )
        continue;
      const op = operation as Record<string, unknown>;
      if (op[PUBLIC_EXTENSION]) {
        delete op[PUBLIC_EXTENSION];
        op.security = [];
      } else {
        op.security = [{ [BEARER_SCHEME]: [] }];
      }
    }
  }
  return document;
}

export function setupSwagger(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: `Gatehouse ${document.info.version} API`,
    swaggerOptions: {
      persistAuthorization: true,
      displayOperationId: true,
      tryItOutEnabled: false,
    },
  });
}
