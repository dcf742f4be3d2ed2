import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class RefreshTokenDto {
  @ApiProperty({
    example: 'k3nX0n0s1-8bKp2e3yQ9o5m7hVd4Ww6Z1aLq0rTtYcU',
    description: 'The refresh token from login or the last refresh.',
  })
  @IsString()
  @IsNotEmpty({ message: 'refresh_token is required' })
  // Refresh tokens are 43 characters; the room lets an access token sent by mistake be refused as an invalid
  // refresh token (401) rather than an invalid body.
  @MaxLength(2048)
  refresh_token: string;
}
