import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** RFC 7009 §2.1 request: JSON or application/x-www-form-urlencoded. */
export class RevokeTokenDto {
  @ApiProperty({
    description: 'An access token (JWT) or a refresh token issued by Gatehouse',
    example: 'k3nX0n0s1-8bKp2e3yQ9o5m7hVd4Ww6Z1aLq0rTtYcU',
  })
  @IsString()
  @IsNotEmpty({ message: 'token is required' })
  @MaxLength(8192)
  token: string;

  @ApiPropertyOptional({
    enum: ['access_token', 'refresh_token'],
    example: 'refresh_token',
    description:
      'Where to look first; other values are ignored and every type is searched',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;

  @ApiPropertyOptional({
    description:
      'Accepted for OAuth client libraries that always send it; not used',
    example: 'orders-api',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  client_id?: string;
}

/** RFC 7662 §2.1 request. */
export class IntrospectTokenDto extends RevokeTokenDto {}
