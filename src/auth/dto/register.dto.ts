import { ApiProperty } from '@nestjs/swagger';
import {
  IsEmail,
  IsNotEmpty,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN } from 'src/config/password-policy';
import { IsPasswordLength } from 'src/passwords/password-length.validator';

export class RegisterDto {
  @ApiProperty({
    example: 'ada',
    minLength: 3,
    maxLength: 32,
    pattern: '^[a-zA-Z0-9_.-]+$',
  })
  @IsString()
  @IsNotEmpty({ message: 'username is required' })
  @Length(3, 32)
  @Matches(/^[a-zA-Z0-9_.-]+$/, {
    message: 'username may contain only letters, digits, "_", "." and "-"',
  })
  username: string;

  @ApiProperty({ example: 'ada@example.com', maxLength: 254, format: 'email' })
  @IsString()
  @IsNotEmpty({ message: 'email is required' })
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
    format: 'password',
    description:
      'Unicode code points; PASSWORD_MIN_LENGTH may raise the minimum.',
  })
  @IsString()
  @IsNotEmpty({ message: 'password is required' })
  @IsPasswordLength(PASSWORD_MIN, PASSWORD_MAX)
  password: string;
}
