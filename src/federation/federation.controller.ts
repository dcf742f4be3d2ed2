import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
  Redirect,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiExtraModels,
  ApiFoundResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser } from 'src/access/current-user.decorator';
import type { Principal } from 'src/access/principal';
import { Public } from 'src/access/public.decorator';
import { StepUp } from 'src/access/step-up.decorator';
import { ApiProblems } from 'src/common/api-problems.decorator';
import {
  ClientContext,
  type RequestClient,
} from 'src/common/client-context.decorator';
import { UuidParam } from 'src/common/uuid-param';
import { MfaChallengeResponseDto } from 'src/mfa/dto/mfa.dto';
import { TokenResponseDto } from 'src/sessions/dto/token-response.dto';
import { RateLimited } from 'src/throttling/rate-limited.decorator';
import {
  IdentityListResponseDto,
  IdentityResponseDto,
  OidcExchangeDto,
  OidcLinkStartDto,
  OidcLinkStartResponseDto,
  OidcStartQueryDto,
} from './dto/federation.dto';
import { FederatedIdentitiesService } from './federated-identities.service';
import {
  clearedFlowCookie,
  FLOW_COOKIE,
  flowCookie,
  readCookie,
} from './oidc-cookie';
import { OidcExchangeService } from './oidc-exchange.service';
import { OidcSignInService } from './oidc-sign-in.service';

interface RedirectTo {
  url: string;
  statusCode: number;
}

const PROVIDER = ApiParam({
  name: 'provider',
  example: 'google',
  description: 'A name from OIDC_PROVIDERS',
});

/** Sign-in through external OpenID Connect providers (docs/federation.md). */
@ApiTags('federation')
@Controller('auth/oidc')
export class FederationController {
  constructor(
    private readonly signIn: OidcSignInService,
    private readonly exchanges: OidcExchangeService,
  ) {}

  @Public()
  @RateLimited()
  @Get(':provider/start')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'startOidcSignIn',
    summary:
      'Start signing in through a provider: 302 to it, with a cookie binding the sign-in to this browser',
  })
  @PROVIDER
  @ApiFoundResponse({
    description: 'Location: the provider’s authorization endpoint',
  })
  @ApiProblems(400, 404, 503)
  async start(
    @Param('provider') provider: string,
    @Query() query: OidcStartQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RedirectTo> {
    const flow = await this.signIn.start(
      provider,
      query.redirect_uri,
      query.state,
    );
    reply.header('set-cookie', flowCookie(flow.binding, flow.maxAgeSeconds));
    return { url: flow.authorizationUrl, statusCode: 302 };
  }

  @Public()
  @RateLimited()
  @Get(':provider/callback')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'oidcCallback',
    summary:
      'Where the provider returns the browser: 302 to the client’s redirect_uri with a one-time `code`, or with `error`',
    description:
      'A problem document (400) only when no sign-in of this browser is waiting, so there is no redirect_uri to return to.',
  })
  @PROVIDER
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'error', required: false })
  @ApiFoundResponse({
    description:
      'Location: redirect_uri with `code` and the client’s `state`, `linked=<provider>` after a link, or `error`',
  })
  @ApiProblems(400)
  async callback(
    @Param('provider') provider: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @ClientContext() client: RequestClient,
  ): Promise<RedirectTo> {
    reply.header('set-cookie', clearedFlowCookie());
    const strings = Object.fromEntries(
      Object.entries(query).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
    const url = await this.signIn.callback(
      provider,
      strings,
      readCookie(request.headers.cookie, FLOW_COOKIE),
      client,
    );
    return { url, statusCode: 302 };
  }

  @Public()
  @RateLimited()
  @Post('exchange')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    operationId: 'exchangeOidcCode',
    summary:
      'Trade the one-time code from redirect_uri for a token pair (amr fed), or the mfa_required challenge',
  })
  @ApiExtraModels(TokenResponseDto, MfaChallengeResponseDto)
  @ApiOkResponse({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(TokenResponseDto) },
        { $ref: getSchemaPath(MfaChallengeResponseDto) },
      ],
    },
  })
  @ApiProblems(400, 401, 415)
  exchange(
    @Body() body: OidcExchangeDto,
    @ClientContext() client: RequestClient,
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    return this.exchanges.exchange(body.code, client);
  }

  @StepUp()
  @Post(':provider/link/start')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'startOidcLink',
    summary:
      'Link a provider account to the signed-in account (step-up): the URL to send the browser to, and the binding cookie',
  })
  @PROVIDER
  @ApiOkResponse({ type: OidcLinkStartResponseDto })
  @ApiProblems(400, 401, 404, 503)
  async linkStart(
    @CurrentUser() user: Principal,
    @Param('provider') provider: string,
    @Body() body: OidcLinkStartDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OidcLinkStartResponseDto> {
    const flow = await this.signIn.start(
      provider,
      body.redirect_uri,
      body.state,
      user.userId,
    );
    reply.header('set-cookie', flowCookie(flow.binding, flow.maxAgeSeconds));
    return { authorization_url: flow.authorizationUrl };
  }
}

/** The provider accounts linked to the caller's account. */
@ApiTags('federation')
@Controller('auth/identities')
export class IdentitiesController {
  constructor(private readonly identities: FederatedIdentitiesService) {}

  @Get()
  @ApiOperation({
    operationId: 'listIdentities',
    summary: 'The provider accounts that sign in as the caller',
  })
  @ApiOkResponse({ type: IdentityListResponseDto })
  @ApiProblems(401)
  async list(@CurrentUser() user: Principal): Promise<IdentityListResponseDto> {
    return {
      items: (await this.identities.list(user.userId)).map((i) =>
        IdentityResponseDto.from(i),
      ),
    };
  }

  @StepUp()
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'unlinkIdentity',
    summary:
      'Unlink a provider account (step-up); refused when it is the account’s last way to sign in',
  })
  @ApiNoContentResponse({ description: 'Unlinked' })
  @ApiProblems(400, 401, 404, 409)
  async unlink(
    @CurrentUser() user: Principal,
    @UuidParam() id: string,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    await this.identities.unlink(user.userId, id, client);
  }
}
