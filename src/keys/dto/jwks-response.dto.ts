import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { JwksKey } from '../signing-keys.service';

/** One public key (RFC 7517). Private members (d, p, q, dp, dq, qi, k) never appear. */
export class JwkDto {
  @ApiProperty({ example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' })
  kid: string;

  @ApiProperty({ enum: ['RSA', 'EC'] })
  kty: string;

  @ApiProperty({ enum: ['RS256', 'ES256'] })
  alg: string;

  @ApiProperty({ enum: ['sig'] })
  use: string;

  @ApiPropertyOptional({ description: 'RSA modulus (base64url)' })
  n?: string;

  @ApiPropertyOptional({ description: 'RSA exponent (base64url)' })
  e?: string;

  @ApiPropertyOptional({ enum: ['P-256'] })
  crv?: string;

  @ApiPropertyOptional({ description: 'EC x coordinate (base64url)' })
  x?: string;

  @ApiPropertyOptional({ description: 'EC y coordinate (base64url)' })
  y?: string;
}

export class JwksResponseDto {
  @ApiProperty({
    type: [JwkDto],
    description:
      'Keys that sign now, will sign soon (published ahead) or signed tokens that are still valid. Empty with HS256.',
  })
  keys: JwkDto[];

  static from(keys: JwksKey[]): JwksResponseDto {
    return { keys: keys.map((key) => ({ ...key, kty: key.kty })) };
  }
}
