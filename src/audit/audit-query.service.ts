import { Injectable } from '@nestjs/common';
import type { AuditEventPage, AuditEventType } from './audit-event';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditService } from './audit.service';

export interface AuditEventQuery {
  userId?: string;
  type?: AuditEventType;
  before?: string;
  limit: number;
}

/** Reads the audit trail a page at a time, newest first, with keyset (cursor) pagination. */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly repository: AuditEventsRepository,
    private readonly writer: AuditService,
  ) {}

  async listEvents(query: AuditEventQuery): Promise<AuditEventPage> {
    const before =
      query.before !== undefined ? decodeAuditCursor(query.before) : undefined;
    // Read your writes: events this instance has queued appear at once (e.g. the login just made).
    await this.writer.flush();
    const rows = await this.repository.list({
      userId: query.userId,
      type: query.type,
      before,
      limit: query.limit + 1,
    });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        rows.length > query.limit && last
          ? encodeAuditCursor({ occurredAt: last.occurredAt, id: last.id })
          : null,
    };
  }

  /** The caller's own events; the user id comes from the token, never from the query. */
  listOwnEvents(
    userId: string,
    query: Omit<AuditEventQuery, 'userId'>,
  ): Promise<AuditEventPage> {
    return this.listEvents({ ...query, userId });
  }
}
