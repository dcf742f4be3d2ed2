import { ApiProperty } from '@nestjs/swagger';
import { Role } from 'src/access/role.enum';
import type { User } from '../user';

export class UserResponseDto {
  @ApiProperty({
    format: 'uuid',
    example: '0b6c6f0e-6f4e-4a39-9d0a-6f1f0e1c2b3a',
  })
  id: string;

  @ApiProperty({ example: 'ada' })
  username: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ada@example.com',
    description:
      'Null for an account an external provider made without vouching for an address.',
  })
  email: string | null;

  @ApiProperty({ enum: Role, isArray: true, example: ['user'] })
  roles: Role[];

  @ApiProperty({ example: false })
  disabled: boolean;

  @ApiProperty({
    example: true,
    description:
      'The user proved they read mail at this address (a verification or reset link, a confirmed change, or an admin).',
  })
  email_verified: boolean;

  @ApiProperty({
    example: false,
    description:
      'The user has a confirmed second factor (TOTP): signing in takes a code as well as the password.',
  })
  mfa_enabled: boolean;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  static from(user: User): UserResponseDto {
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      roles: user.roles,
      disabled: user.disabled,
      email_verified: user.emailVerified,
      mfa_enabled: user.mfaEnabled,
      created_at: user.createdAt.toISOString(),
    };
  }
}
