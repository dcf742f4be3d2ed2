import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../audit-event';

/** The caller's own events: type filter and paging, never another user id. */
export class ListMyAuditEventsQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES })
  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES)
  type?: AuditEventType;

  @ApiPropertyOptional({
    description: 'The `next_cursor` of the previous page',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  before?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;
}

export class ListAuditEventsQueryDto extends ListMyAuditEventsQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Events about this user',
  })
  @IsOptional()
  @IsUUID()
  user_id?: string;
}
