import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { KeyStatus } from '../signing-key';

export class SigningKeyResponseDto {
  @ApiProperty({ example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' })
  kid: string;

  @ApiProperty({ enum: ['HS256', 'RS256', 'ES256'] })
  alg: string;

  @ApiProperty({
    enum: ['pending', 'active', 'retired'],
    description:
      'pending: published, not signing yet; active: signs new tokens; retired: only verifies tokens it signed',
  })
  state: string;

  @ApiProperty({ format: 'date-time', description: 'In the JWKS since' })
  published_at: string;

  @ApiProperty({ format: 'date-time', description: 'Signs from' })
  activates_at: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Stopped signing at',
  })
  retired_at?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'Leaves the JWKS and stops verifying at (every token it signed has expired)',
  })
  removes_at?: string;

  static from(status: KeyStatus): SigningKeyResponseDto {
    return {
      kid: status.key.kid,
      alg: status.key.alg,
      state: status.state,
      published_at: status.publishedAt.toISOString(),
      activates_at: status.activatesAt.toISOString(),
      ...(status.retiredAt
        ? { retired_at: status.retiredAt.toISOString() }
        : {}),
      ...(status.removesAt
        ? { removes_at: status.removesAt.toISOString() }
        : {}),
    };
  }
}
