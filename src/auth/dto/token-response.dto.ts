import { ApiProperty } from '@nestjs/swagger';

export class TokenResponseDto {
  @ApiProperty({
    description:
      'JWT access token (typ at+jwt); send as `Authorization: Bearer …`.',
  })
  access_token: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  token_type: 'Bearer';

  @ApiProperty({
    example: 900,
    description: 'Seconds until the access token expires.',
  })
  expires_in: number;

  @ApiProperty({
    description:
      'Opaque refresh token (256 bits, base64url). Single use: each refresh returns a new one.',
  })
  refresh_token: string;

  @ApiProperty({
    example: 604800,
    description:
      'Seconds until the refresh token expires (idle or absolute limit, whichever is first).',
  })
  refresh_expires_in: number;
}
