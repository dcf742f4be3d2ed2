import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class RefreshTokenDto {
  @ApiProperty({
    example: 'k3nX0n0s1-8bKp2e3yQ9o5m7hVd4Ww6Z1aLq0rTtYcU',
    description: 'The refresh token from login or the last refresh.',
  })
  @IsString()
  @IsNotEmpty({ message: 'refresh_token is required' })
  @MaxLength(512)
  refresh_token: string;
}
