import { Body, Controller, Get, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiOperation,
  ApiProperty,
  ApiResponse,
  ApiTags,
  type OpenAPIObject,
  type OperationObject,
} from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { Public } from 'src/access/public.decorator';
import { StepUp } from 'src/access/step-up.decorator';
import { ApiProblems } from 'src/common/api-problems.decorator';
import {
  BASIC_SCHEME,
  BEARER_SCHEME,
  buildOpenApiDocument,
  serializeOpenApiDocument,
} from 'src/openapi';

class EchoDto {
  @ApiProperty({ example: 'hello' })
  text: string;
}

@ApiTags('health')
@Controller('zeta')
class ZetaController {
  @Public()
  @Get()
  @ApiOperation({ operationId: 'checkZeta' })
  // A library decorator documenting its error body as plain JSON, as terminus's @HealthCheck() does.
  @ApiResponse({
    status: 503,
    description: 'Down',
    schema: { type: 'object' },
  })
  check(): string {
    return 'ok';
  }
}

@ApiTags('auth')
@Controller('alpha')
class AlphaController {
  @Post('echo')
  @ApiOperation({ operationId: 'echo' })
  @ApiProblems(400)
  echo(@Body() body: EchoDto): EchoDto {
    return body;
  }

  @Public()
  @Post('open')
  open(): void {}

  @Public()
  @ApiBasicAuth(BASIC_SCHEME)
  @ApiBearerAuth(BEARER_SCHEME)
  @Post('introspect')
  @ApiOperation({ operationId: 'introspectToken' })
  introspect(): void {}
}

function op(doc: OpenAPIObject, path: string, method: 'get' | 'post') {
  return doc.paths[path][method] as OperationObject & Record<string, unknown>;
}

describe(buildOpenApiDocument.name, () => {
  let app: INestApplication;
  let doc: OpenAPIObject;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [ZetaController, AlphaController],
    }).compile();
    app = moduleRef.createNestApplication(new FastifyAdapter());
    doc = buildOpenApiDocument(app);
  });
  afterAll(async () => {
    await app.close();
  });

  it('requires the bearer token, and documents its 401, on every route without @Public()', () => {
    const echo = op(doc, '/alpha/echo', 'post');
    expect(echo.security).toEqual([{ [BEARER_SCHEME]: [] }]);
    expect(echo.responses['401']).toMatchObject({
      content: { 'application/problem+json': expect.any(Object) },
    });
  });

  it('gives public routes no security and no 401, and drops the public marker', () => {
    const open = op(doc, '/alpha/open', 'post');
    expect(open.security).toEqual([]);
    expect(open.responses['401']).toBeUndefined();
    expect(JSON.stringify(doc)).not.toContain('x-gatehouse-public');
  });

  it('keeps the credentials a public route declares for itself', () => {
    const introspect = op(doc, '/alpha/introspect', 'post');
    expect(introspect.security).toHaveLength(2);
    expect(introspect.security).toEqual(
      expect.arrayContaining([{ [BASIC_SCHEME]: [] }, { [BEARER_SCHEME]: [] }]),
    );
    expect(introspect.responses['401']).toBeDefined();
  });

  it('documents error bodies from library decorators as problem details', () => {
    const check = op(doc, '/zeta', 'get');
    expect(check.responses['503']).toEqual({
      description: 'Down',
      headers: { 'Retry-After': expect.any(Object) },
      content: {
        'application/problem+json': {
          schema: { $ref: '#/components/schemas/ProblemDetailsDto' },
        },
      },
    });
    expect(doc.components?.schemas?.ProblemDetailsDto).toBeDefined();
  });

  it('names operations after the handler when no operationId is given', () => {
    expect(op(doc, '/alpha/open', 'post').operationId).toBe('open');
  });

  it('lists only the tags and security schemes that routes use, tags in the fixed order', () => {
    expect(doc.tags?.map((tag) => tag.name)).toEqual(['auth', 'health']);
    expect(Object.keys(doc.components?.securitySchemes ?? {}).sort()).toEqual(
      [BASIC_SCHEME, BEARER_SCHEME].sort(),
    );
  });

  it('orders paths by tag, then by the newcomer order of operations, then by path', () => {
    // introspectToken is named in OPENAPI_OPERATION_ORDER, so it leads its tag; the others follow by path; the
    // health tag comes after auth although ZetaController was registered first.
    expect(Object.keys(doc.paths)).toEqual([
      '/alpha/introspect',
      '/alpha/echo',
      '/alpha/open',
      '/zeta',
    ]);
  });

  it('serializes deterministically, paths in the newcomer order and schemas sorted, whatever order it is given', () => {
    const text = serializeOpenApiDocument(doc);
    expect(serializeOpenApiDocument(JSON.parse(text) as OpenAPIObject)).toBe(
      text,
    );
    const reversed = {
      ...doc,
      paths: Object.fromEntries(Object.entries(doc.paths).reverse()),
    };
    expect(serializeOpenApiDocument(reversed)).toBe(text);
    const parsed = JSON.parse(text) as OpenAPIObject;
    expect(Object.keys(parsed.paths)).toEqual([
      '/alpha/introspect',
      '/alpha/echo',
      '/alpha/open',
      '/zeta',
    ]);
    const schemas = Object.keys(parsed.components?.schemas ?? {});
    expect(schemas).toEqual([...schemas].sort());
    expect(text.endsWith('}\n')).toBe(true);
  });
});

@Controller('only-public')
class OnlyPublicController {
  @Public()
  @Get()
  @ApiTags('health')
  get(): void {}
}

describe(`${buildOpenApiDocument.name} for an all-public app`, () => {
  it('declares no security scheme, so the Authorize button has nothing to offer', async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [OnlyPublicController],
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter());
    const doc = buildOpenApiDocument(app);
    await app.close();
    expect(doc.components?.securitySchemes).toEqual({});
    expect(op(doc, '/only-public', 'get').security).toEqual([]);
  });
});

@ApiTags('users')
@Controller('omega')
class StepUpController {
  @Post('echo')
  @ApiProblems(400)
  echo(): void {}

  @StepUp()
  @Post('sensitive')
  @ApiProblems(400, 401)
  sensitive(): void {}

  @StepUp({ when: (body) => body?.roles !== undefined })
  @Post('partly-sensitive')
  partlySensitive(): void {}
}

describe(`${buildOpenApiDocument.name} with @StepUp()`, () => {
  let app: INestApplication;
  let doc: OpenAPIObject;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [StepUpController],
    }).compile();
    app = moduleRef.createNestApplication(new FastifyAdapter());
    doc = buildOpenApiDocument(app);
  });
  afterAll(async () => {
    await app.close();
  });

  it('adds the step-up refusal to a @StepUp() operation’s 401 and drops the marker', () => {
    expect(op(doc, '/omega/sensitive', 'post').responses['401']).toMatchObject({
      description: expect.stringMatching(
        /^Missing, invalid, expired or revoked credentials\. Needs a sign-in within STEP_UP_MAX_AGE \(step-up\)/,
      ),
      content: { 'application/problem+json': expect.any(Object) },
    });
    expect(
      op(doc, '/omega/partly-sensitive', 'post').responses['401'],
    ).toMatchObject({
      description: expect.stringContaining(
        'Some changes here need a sign-in within STEP_UP_MAX_AGE (step-up)',
      ),
    });
    expect(op(doc, '/omega/echo', 'post').responses['401']).toMatchObject({
      description: expect.not.stringContaining('STEP_UP_MAX_AGE'),
    });
    expect(JSON.stringify(doc)).not.toContain('x-gatehouse-step-up');
  });
});
