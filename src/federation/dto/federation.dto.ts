import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import type { FederatedIdentity } from '../federation.repository';

export class OidcStartQueryDto {
  @ApiProperty({
    example: 'https://app.example.com/signed-in',
    maxLength: 2048,
    description:
      'Where the browser is sent back with `code` (or `error`); must be listed in OIDC_ALLOWED_REDIRECTS, exactly.',
  })
  @IsString()
  @IsNotEmpty({ message: 'redirect_uri is required' })
  @MaxLength(2048)
  redirect_uri: string;

  @ApiPropertyOptional({
    example: 'af0ifjsldkj',
    maxLength: 512,
    description:
      'The client’s own value, returned unchanged as `state` to redirect_uri (its CSRF check).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  state?: string;
}

export class OidcLinkStartDto extends OidcStartQueryDto {}

export class OidcExchangeDto {
  @ApiProperty({
    example: 'Yw3X2m8qv0sJp5e1nTqL7cA9bR4uK6hD2fG8iZ0oW1E',
    description:
      'The one-time code from redirect_uri (good for 30 seconds, once).',
  })
  @IsString()
  @IsNotEmpty({ message: 'code is required' })
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'code must be base64url' })
  code: string;
}

export class OidcLinkStartResponseDto {
  @ApiProperty({
    example:
      'https://accounts.google.com/o/oauth2/v2/auth?client_id=…&code_challenge=…',
    description:
      'Send the browser here (it carries the cookie set with this answer).',
  })
  authorization_url: string;
}

export class IdentityResponseDto {
  @ApiProperty({
    format: 'uuid',
    example: '3b241101-e2bb-4255-8caf-4136c566a962',
  })
  id: string;

  @ApiProperty({
    example: 'google',
    description: 'The configured provider name',
  })
  provider: string;

  @ApiProperty({ example: 'https://accounts.google.com' })
  issuer: string;

  @ApiProperty({
    example: '110169484474386276334',
    description: 'The provider’s id of the user (sub)',
  })
  subject: string;

  @ApiProperty({ type: String, nullable: true, example: 'ada@gmail.com' })
  email: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_used_at: string | null;

  static from(identity: FederatedIdentity): IdentityResponseDto {
    return {
      id: identity.id,
      provider: identity.provider,
      issuer: identity.issuer,
      subject: identity.subject,
      email: identity.email,
      created_at: identity.createdAt.toISOString(),
      last_used_at: identity.lastUsedAt?.toISOString() ?? null,
    };
  }
}

export class IdentityListResponseDto {
  @ApiProperty({ type: IdentityResponseDto, isArray: true })
  items: IdentityResponseDto[];
}
