import {
  Body,
  Controller,
  Header,
  HttpCode,
  Post,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { IS_PUBLIC_KEY, Public } from 'src/access/public.decorator';
import { ApiProblems } from 'src/common/api-problems.decorator';
import { BASIC_SCHEME, BEARER_SCHEME } from 'src/common/openapi-schemes';
import { IntrospectionResponseDto } from './dto/introspection-response.dto';
import { IntrospectTokenDto, RevokeTokenDto } from './dto/token-request.dto';
import { IntrospectionAuthGuard } from './introspection-auth.guard';
import { OAuthService } from './oauth.service';

const CONSUMES = ['application/json', 'application/x-www-form-urlencoded'];

@ApiTags('oauth')
@Controller('auth')
export class OAuthController {
  constructor(private readonly oauth: OAuthService) {}

  @Public()
  @Post('revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes(...CONSUMES)
  @ApiOperation({
    operationId: 'revokeToken',
    summary:
      'Revoke a refresh or access token (RFC 7009): its session ends. 200 with an empty body, also for unknown tokens',
  })
  @ApiOkResponse({ description: 'Revoked, or the token was not valid' })
  @ApiProblems(400, 413, 415)
  async revoke(@Body() body: RevokeTokenDto): Promise<void> {
    await this.oauth.revoke(body.token, body.token_type_hint);
  }

  // Past the global bearer guard (Basic auth must get through), but documented as secured, not as @Public():
  // IntrospectionAuthGuard admits INTROSPECTION_SECRET or an admin's bearer token.
  @SetMetadata(IS_PUBLIC_KEY, true)
  @UseGuards(IntrospectionAuthGuard)
  @ApiBasicAuth(BASIC_SCHEME)
  @ApiBearerAuth(BEARER_SCHEME)
  @Post('introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes(...CONSUMES)
  @ApiOperation({
    operationId: 'introspectToken',
    summary:
      'Token introspection (RFC 7662) for resource servers: Basic auth with any client id and INTROSPECTION_SECRET, or an admin bearer token',
  })
  @ApiOkResponse({ type: IntrospectionResponseDto })
  @ApiProblems(400, 401, 403, 413, 415)
  introspect(
    @Body() body: IntrospectTokenDto,
  ): Promise<IntrospectionResponseDto> {
    return this.oauth.introspect(body.token, body.token_type_hint);
  }
}
