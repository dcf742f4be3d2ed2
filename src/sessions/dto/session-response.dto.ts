import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '../session';

export class SessionResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  last_used_at: string;

  @ApiProperty({
    format: 'date-time',
    description:
      'When the session ends without a refresh (idle or absolute limit).',
  })
  expires_at: string;

  @ApiProperty({ nullable: true, type: String, example: 'Mozilla/5.0' })
  user_agent: string | null;

  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({
    description: 'True for the session the calling access token belongs to.',
  })
  current: boolean;

  static from(session: Session, currentSessionId: string): SessionResponseDto {
    return {
      id: session.id,
      created_at: session.createdAt.toISOString(),
      last_used_at: session.lastUsedAt.toISOString(),
      expires_at: new Date(
        Math.min(session.idleExpiresAt.getTime(), session.expiresAt.getTime()),
      ).toISOString(),
      user_agent: session.userAgent,
      ip: session.ip,
      current: session.id === currentSessionId,
    };
  }
}
