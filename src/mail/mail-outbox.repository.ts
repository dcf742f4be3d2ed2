import { Inject, Injectable } from '@nestjs/common';
import {
  and,
  asc,
  count,
  eq,
  inArray,
  isNull,
  lte,
  or,
  sql,
} from 'drizzle-orm';
import {
  DRIZZLE,
  type Database,
  type DbExecutor,
} from 'src/database/database.types';
import { mailOutbox, type MailOutboxRow } from 'src/database/schema';
import type { OutgoingMail } from './outgoing-mail';

/** A mail claimed for one try: `attempts` already counts this try. */
export interface QueuedMail extends OutgoingMail {
  id: string;
  attempts: number;
  createdAt: Date;
}

const pending = () =>
  and(isNull(mailOutbox.sentAt), isNull(mailOutbox.failedAt));

function toQueuedMail(row: MailOutboxRow): QueuedMail {
  return {
    id: row.id,
    kind: row.kind,
    to: row.recipient,
    subject: row.subject,
    text: row.textBody ?? '',
    html: row.htmlBody ?? '',
    attempts: row.attempts,
    createdAt: row.createdAt,
  };
}

/** The mail_outbox table: mails waiting, leased, sent or given up on. */
@Injectable()
export class MailOutboxRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /** Through the caller's executor, so a mail is stored in the same transaction as the token its link carries. */
  async enqueue(
    executor: DbExecutor,
    mails: OutgoingMail[],
    now: Date,
  ): Promise<void> {
    if (mails.length === 0) return;
    await executor.insert(mailOutbox).values(
      mails.map((mail) => ({
        kind: mail.kind,
        recipient: mail.to,
        subject: mail.subject,
        textBody: mail.text,
        htmlBody: mail.html,
        createdAt: now,
        nextAttemptAt: now,
      })),
    );
  }

  /**
   * Leases up to `limit` due mails in one statement: they are not due again before `leaseUntil`, so another
   * instance skips them (SKIP LOCKED while this statement runs, the lease after), and no transaction stays open
   * while the SMTP server is talked to.
   */
  async claimDue(
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<QueuedMail[]> {
    const due = this.db
      .select({ id: mailOutbox.id })
      .from(mailOutbox)
      .where(and(pending(), lte(mailOutbox.nextAttemptAt, now)))
      .orderBy(asc(mailOutbox.nextAttemptAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await this.db
      .update(mailOutbox)
      .set({
        nextAttemptAt: leaseUntil,
        attempts: sql`${mailOutbox.attempts} + 1`,
      })
      .where(inArray(mailOutbox.id, due))
      .returning();
    return rows.map(toQueuedMail);
  }

  /** The bodies go with delivery: the links they carry must not outlive it in the database. */
  async markSent(id: string, now: Date): Promise<void> {
    await this.db
      .update(mailOutbox)
      .set({ sentAt: now, textBody: null, htmlBody: null, lastError: null })
      .where(eq(mailOutbox.id, id));
  }

  async defer(id: string, nextAttemptAt: Date, error: string): Promise<void> {
    await this.db
      .update(mailOutbox)
      .set({ nextAttemptAt, lastError: error })
      .where(eq(mailOutbox.id, id));
  }

  async markFailed(id: string, now: Date, error: string): Promise<void> {
    await this.db
      .update(mailOutbox)
      .set({ failedAt: now, textBody: null, htmlBody: null, lastError: error })
      .where(eq(mailOutbox.id, id));
  }

  /** Deletes sent and failed rows settled before `before`; returns how many. */
  async purge(before: Date): Promise<number> {
    const rows = await this.db
      .delete(mailOutbox)
      .where(
        or(lte(mailOutbox.sentAt, before), lte(mailOutbox.failedAt, before)),
      )
      .returning({ id: mailOutbox.id });
    return rows.length;
  }

  /** Mails neither sent nor given up on, leased ones included. */
  async countPending(): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(mailOutbox)
      .where(pending());
    return row?.n ?? 0;
  }
}
