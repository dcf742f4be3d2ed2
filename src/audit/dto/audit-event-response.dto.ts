import { ApiProperty } from '@nestjs/swagger';
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  type AuditEventPage,
  type AuditEventType,
} from '../audit-event';

export class AuditEventResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: AUDIT_EVENT_TYPES, example: 'login_failed' })
  type: AuditEventType;

  @ApiProperty({ format: 'date-time' })
  occurred_at: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  user_id: string | null;

  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Who caused the event when it was someone else (an admin)',
  })
  actor_id: string | null;

  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ nullable: true, type: String })
  user_agent: string | null;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  session_id: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { reason: 'wrong_password' },
  })
  details: Record<string, unknown>;

  static from(event: AuditEvent): AuditEventResponseDto {
    return {
      id: event.id,
      type: event.type,
      occurred_at: event.occurredAt.toISOString(),
      user_id: event.userId,
      actor_id: event.actorId,
      ip: event.ip,
      user_agent: event.userAgent,
      session_id: event.sessionId,
      details: event.details,
    };
  }
}

export class AuditEventPageResponseDto {
  @ApiProperty({ type: [AuditEventResponseDto] })
  items: AuditEventResponseDto[];

  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'Pass as `before` for the next (older) page; null on the last page',
  })
  next_cursor: string | null;

  static from(page: AuditEventPage): AuditEventPageResponseDto {
    return {
      items: page.items.map((event) => AuditEventResponseDto.from(event)),
      next_cursor: page.nextCursor,
    };
  }
}
