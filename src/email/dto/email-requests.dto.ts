import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { IsPasswordLength } from 'src/passwords/password-length.validator';
import { PASSWORD_MAX, PASSWORD_MIN } from 'src/config/password-policy';
import { EmailAddress, MailToken } from './email-address';

export class ForgotPasswordDto {
  @EmailAddress('email')
  email: string;
}

export class ResetPasswordDto {
  @MailToken()
  token: string;

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

export class SendVerificationDto {
  @ApiPropertyOptional({
    example: 'ada@example.com',
    maxLength: 254,
    format: 'email',
    description:
      'Required without a bearer token; ignored with one (the signed-in user’s address is used).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @Matches(/^[^\r\n]*$/, { message: 'email must be one line' })
  @IsEmail({}, { message: 'email must be a valid email address' })
  email?: string;
}

export class EmailTokenDto {
  @MailToken()
  token: string;
}

export class ChangeEmailDto {
  @EmailAddress('new_email')
  new_email: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    format: 'password',
    maxLength: PASSWORD_MAX,
  })
  @IsString()
  @IsNotEmpty({ message: 'current_password is required' })
  @IsPasswordLength(1, PASSWORD_MAX)
  current_password: string;
}
