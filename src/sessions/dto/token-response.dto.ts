import { ApiProperty } from '@nestjs/swagger';

/** An access token alone: re-authentication and MFA enrolment refresh the current session's access token. */
export class AccessTokenResponseDto {
  @ApiProperty({
    example:
      'eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIwYjZjNmYwZS02ZjRlLTRhMzktOWQwYS02ZjFmMGUxYzJiM2EifQ.3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    description:
      'JWT access token (typ at+jwt); send as `Authorization: Bearer …`, or paste it into **Authorize**.',
  })
  access_token: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  token_type: 'Bearer';

  @ApiProperty({
    example: 900,
    description: 'Seconds until the access token expires.',
  })
  expires_in: number;
}

export class TokenResponseDto extends AccessTokenResponseDto {
  @ApiProperty({
    example: 'k3nX0n0s1-8bKp2e3yQ9o5m7hVd4Ww6Z1aLq0rTtYcU',
    description:
      'Opaque refresh token (256 bits, base64url) for POST /auth/refresh. Single use: each refresh returns a new one.',
  })
  refresh_token: string;

  @ApiProperty({
    example: 604800,
    description:
      'Seconds until the refresh token expires (idle or absolute limit, whichever is first).',
  })
  refresh_expires_in: number;
}
