import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { PASSWORD_MAX } from 'src/config/password-policy';
import { IsPasswordLength } from 'src/passwords/password-length.validator';

export class LoginDto {
  @ApiProperty({
    example: 'ada',
    description: 'Username or email address.',
    maxLength: 254,
  })
  @IsString()
  @IsNotEmpty({ message: 'username is required' })
  @MaxLength(254)
  username: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    format: 'password',
    maxLength: PASSWORD_MAX,
  })
  @IsString()
  @IsNotEmpty({ message: 'password is required' })
  @IsPasswordLength(1, PASSWORD_MAX)
  password: string;
}
