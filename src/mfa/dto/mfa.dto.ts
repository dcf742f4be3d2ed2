import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import {
  PasskeyAssertionDto,
  PasskeyOptionsResponseDto,
} from 'src/passkeys/dto/passkeys.dto';
import {
  TokenResponseDto,
  AccessTokenResponseDto,
} from 'src/sessions/dto/token-response.dto';

/** Codes are checked for their form by the service (six ASCII digits), so a malformed one is a 400 with that reason. */
export class TotpCodeDto {
  @ApiProperty({
    example: '123456',
    description: 'The 6-digit code the app shows now.',
    maxLength: 16,
  })
  @IsString()
  @IsNotEmpty({ message: 'code is required' })
  @MaxLength(16)
  code: string;
}

export class MfaVerifyDto {
  @ApiProperty({
    example: 'Q2hhbGxlbmdlVG9rZW5Gcm9tVGhlTG9naW5BbnN3ZXIx',
    description: 'From the login answer (`mfa_token`).',
    maxLength: 128,
  })
  @IsString()
  @IsNotEmpty({ message: 'mfa_token is required' })
  @MaxLength(128)
  mfa_token: string;

  @ApiPropertyOptional({
    example: '123456',
    description: 'A code from the app; or send recovery_code.',
    maxLength: 16,
  })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  code?: string;

  @ApiPropertyOptional({
    example: 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX',
    description:
      'One of the recovery codes (case, spaces and dashes ignored); works once.',
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;

  @ApiPropertyOptional({
    type: PasskeyAssertionDto,
    description:
      'A passkey assertion for the `passkey` options of the login answer: `{ceremony_id, response}`.',
    example: {
      ceremony_id: '6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7',
      response: { id: '…', rawId: '…', type: 'public-key', response: {} },
    },
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PasskeyAssertionDto)
  passkey?: PasskeyAssertionDto;
}

export class TotpSetupResponseDto {
  @ApiProperty({
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
    description: 'The secret, base32, for typing into an app by hand.',
  })
  secret: string;

  @ApiProperty({
    example:
      'otpauth://totp/Gatehouse:ada?issuer=Gatehouse&secret=…&algorithm=SHA1&digits=6&period=30',
  })
  otpauth_uri: string;

  @ApiProperty({
    description:
      'The otpauth URI as a QR code: a PNG data URL (`data:image/png;base64,…`).',
  })
  qr_png: string;

  @ApiProperty({ description: 'The same QR code as an SVG document.' })
  qr_svg: string;
}

export class RecoveryCodesResponseDto {
  @ApiProperty({
    example: ['ABCD-EFGH-IJKL-MNOP-QRST-UVWX'],
    description:
      'Shown once: store them somewhere safe. Each works once, in place of a code.',
  })
  recovery_codes: string[];
}

export class TotpConfirmResponseDto extends RecoveryCodesResponseDto {
  @ApiPropertyOptional({
    type: AccessTokenResponseDto,
    description:
      'A fresh access token for this session (amr otp, mfa): every earlier access token of the user is void now. Absent when this session ended meanwhile.',
  })
  access?: AccessTokenResponseDto;
}

export class MfaChallengeResponseDto {
  @ApiProperty({ example: true, enum: [true] })
  mfa_required: true;

  @ApiProperty({
    description:
      'For POST /auth/mfa/verify; works once, for expires_in seconds.',
  })
  mfa_token: string;

  @ApiProperty({ example: ['totp', 'recovery_code'] })
  methods: string[];

  @ApiProperty({ example: 300 })
  expires_in: number;

  @ApiPropertyOptional({
    type: PasskeyOptionsResponseDto,
    description:
      'When the user has a passkey: request options for it and their ceremony id.',
  })
  passkey?: PasskeyOptionsResponseDto;
}

export class MfaTokenResponseDto extends TokenResponseDto {
  @ApiPropertyOptional({
    example: 9,
    description: 'After a recovery code: how many are left.',
  })
  recovery_codes_remaining?: number;
}
