import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 7662 §2.2. Inactive tokens get `{active: false}` and nothing else, whatever the reason. */
export class IntrospectionResponseDto {
  @ApiProperty()
  active: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'The user id' })
  sub?: string;

  @ApiPropertyOptional()
  username?: string;

  @ApiPropertyOptional({ example: ['user'] })
  roles?: string[];

  @ApiPropertyOptional({ description: 'Expiry, seconds since the epoch' })
  exp?: number;

  @ApiPropertyOptional({ description: 'Issued at, seconds since the epoch' })
  iat?: number;

  @ApiPropertyOptional()
  iss?: string;

  @ApiPropertyOptional()
  aud?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The session id' })
  sid?: string;

  @ApiPropertyOptional({ description: 'Access tokens only' })
  jti?: string;

  @ApiPropertyOptional({
    example: ['pwd'],
    description:
      'How the user signed in to the session (RFC 8176 methods: pwd, otp, mfa…)',
  })
  amr?: string[];

  @ApiPropertyOptional({
    description:
      'When the user last proved who they are in the session (sign-in or re-authentication), seconds since the epoch',
  })
  auth_time?: number;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  token_type?: string;
}
