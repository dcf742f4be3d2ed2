import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString } from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN } from 'src/config/password-policy';
import { IsPasswordLength } from 'src/passwords/password-length.validator';

export class ChangePasswordDto {
  @ApiProperty({
    example: 'correct horse battery staple',
    format: 'password',
    maxLength: PASSWORD_MAX,
  })
  @IsString()
  @IsNotEmpty({ message: 'current_password is required' })
  @IsPasswordLength(1, PASSWORD_MAX)
  current_password: string;

  @ApiProperty({
    example: 'a much longer new passphrase',
    format: 'password',
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
  })
  @IsString()
  @IsNotEmpty({ message: 'new_password is required' })
  @IsPasswordLength(PASSWORD_MIN, PASSWORD_MAX)
  new_password: string;
}
