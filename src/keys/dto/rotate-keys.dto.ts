import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

export class RotateKeysDto {
  @ApiPropertyOptional({
    default: false,
    description:
      'false: the new key is published now and signs after JWT_KEY_PUBLISH_AHEAD. true: it signs at once (e.g. the ' +
      'active key leaked); verifiers with a cached JWKS refetch it on the unknown kid.',
  })
  @IsOptional()
  @IsBoolean()
  immediate?: boolean;
}
