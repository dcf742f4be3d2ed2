import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from 'src/access/public.decorator';
import { DiscoveryService } from './discovery.service';
import { AuthorizationServerMetadataDto } from 'src/keys/dto/authorization-server-metadata.dto';

@ApiTags('oauth')
@Public()
@Controller('.well-known')
export class DiscoveryController {
  constructor(private readonly discovery: DiscoveryService) {}

  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({
    operationId: 'getAuthorizationServerMetadata',
    summary: 'Authorization server metadata (RFC 8414 subset)',
  })
  @ApiOkResponse({ type: AuthorizationServerMetadataDto })
  metadata(): AuthorizationServerMetadataDto {
    return this.discovery.metadata();
  }
}
