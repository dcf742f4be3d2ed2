import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import type {
  AuthenticationResponseJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { StoredPasskey } from '../passkeys.repository';

const NAME = () =>
  ApiPropertyOptional({
    example: 'Laptop',
    maxLength: 64,
    description:
      'A name to tell passkeys apart; default "Passkey" or "Security key".',
  });

export class PasskeyNameDto {
  @ApiProperty({ example: 'Work laptop', maxLength: 64 })
  @IsString()
  @IsNotEmpty({ message: 'name is required' })
  @MaxLength(64)
  @Matches(/^[^\r\n\t]*$/, { message: 'name must be one line' })
  name: string;
}

export class PasskeyUsernameDto {
  @ApiPropertyOptional({
    example: 'ada',
    maxLength: 254,
    description:
      'Username or email; omit for a usernameless sign-in (discoverable passkeys).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  username?: string;
}

export class RegisterPasskeyDto {
  @ApiProperty({
    format: 'uuid',
    example: '6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7',
  })
  @IsUUID('all', { message: 'ceremony_id must be a UUID' })
  ceremony_id: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The RegistrationResponseJSON: `(await navigator.credentials.create({publicKey})).toJSON()`.',
    example: {
      id: '…',
      rawId: '…',
      type: 'public-key',
      response: { clientDataJSON: '…', attestationObject: '…' },
    },
  })
  @IsObject()
  response: RegistrationResponseJSON;

  @NAME()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[^\r\n\t]*$/, { message: 'name must be one line' })
  name?: string;
}

export class PasskeyAssertionDto {
  @ApiProperty({
    format: 'uuid',
    example: '6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7',
  })
  @IsUUID('all', { message: 'ceremony_id must be a UUID' })
  ceremony_id: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The AuthenticationResponseJSON: `(await navigator.credentials.get({publicKey})).toJSON()`.',
    example: {
      id: '…',
      rawId: '…',
      type: 'public-key',
      response: { clientDataJSON: '…', authenticatorData: '…', signature: '…' },
    },
  })
  @IsObject()
  response: AuthenticationResponseJSON;
}

export class PasskeyOptionsResponseDto {
  @ApiProperty({
    format: 'uuid',
    description: 'Send it back with the response; works once, for 5 minutes.',
  })
  ceremony_id: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'PublicKeyCredentialCreationOptionsJSON (registration) or PublicKeyCredentialRequestOptionsJSON (sign-in): pass to `PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON`, or to @simplewebauthn/browser.',
  })
  options: Record<string, unknown>;
}

export class PasskeyResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Work laptop' })
  name: string;

  @ApiProperty({ example: ['internal', 'hybrid'] })
  transports: string[];

  @ApiProperty({
    description:
      'Synced to other devices by its provider (a backed-up passkey).',
  })
  backed_up: boolean;

  @ApiProperty({ enum: ['singleDevice', 'multiDevice'] })
  device_type: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  last_used_at: string | null;

  static from(p: StoredPasskey): PasskeyResponseDto {
    return {
      id: p.id,
      name: p.name,
      transports: p.transports,
      backed_up: p.backedUp,
      device_type: p.deviceType,
      created_at: p.createdAt.toISOString(),
      last_used_at: p.lastUsedAt?.toISOString() ?? null,
    };
  }
}

export class PasskeyListResponseDto {
  @ApiProperty({ type: [PasskeyResponseDto] })
  items: PasskeyResponseDto[];
}
