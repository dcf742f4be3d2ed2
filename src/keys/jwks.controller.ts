import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from 'src/access/public.decorator';
import { JwksResponseDto } from './dto/jwks-response.dto';
import { SigningKeysService } from './signing-keys.service';

@ApiTags('oauth')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('jwks.json')
  @ApiOperation({
    operationId: 'getJwks',
    summary: 'Public keys that verify access tokens (RFC 7517 JWK Set)',
  })
  @ApiOkResponse({ type: JwksResponseDto })
  jwks(@Res({ passthrough: true }) reply: FastifyReply): JwksResponseDto {
    // Shorter than the publish-ahead interval: a cached copy always holds the next key before it signs.
    void reply.header(
      'cache-control',
      `public, max-age=${this.keys.jwksMaxAgeSeconds}`,
    );
    return JwksResponseDto.from(this.keys.jwks());
  }
}
