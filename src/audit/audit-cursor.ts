import { DomainValidationError } from 'src/common/domain-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AuditCursor {
  occurredAt: Date;
  id: string;
}

/** Opaque to clients: the (time, id) of the last row of a page, base64url-encoded. */
export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(
    `${cursor.occurredAt.toISOString()}|${cursor.id}`,
    'utf8',
  ).toString('base64url');
}

export function decodeAuditCursor(value: string): AuditCursor {
  const [time, id, extra] = Buffer.from(value, 'base64url')
    .toString('utf8')
    .split('|');
  const occurredAt = new Date(time ?? '');
  if (
    extra !== undefined ||
    !UUID.test(id ?? '') ||
    isNaN(occurredAt.getTime())
  )
    throw new DomainValidationError(
      'before',
      'before must be a next_cursor returned by this API',
    );
  return { occurredAt, id };
}
