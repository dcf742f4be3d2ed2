import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PASSWORD_MAX } from 'src/config/password-policy';
import { IsPasswordLength } from 'src/passwords/password-length.validator';

export class ReauthenticateDto {
  @ApiProperty({
    example: 'correct horse battery staple',
    format: 'password',
    maxLength: PASSWORD_MAX,
  })
  @IsString()
  @IsNotEmpty({ message: 'password is required' })
  @IsPasswordLength(1, PASSWORD_MAX)
  password: string;

  @ApiPropertyOptional({
    example: '123456',
    description:
      'With a second factor on: the code from the app (or send recovery_code).',
    maxLength: 16,
  })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  code?: string;

  @ApiPropertyOptional({
    example: 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX',
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;
}
