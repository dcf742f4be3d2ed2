import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DbExecutor } from 'src/database/database.types';
import { DomainEvent, type MailEvent } from 'src/events/domain-events';
import { MailOutboxRepository } from './mail-outbox.repository';
import { MailSender } from './mail-sender.service';
import type { OutgoingMail } from './outgoing-mail';

/** The one way into the outbox for the flows that send mail. */
@Injectable()
export class MailOutbox {
  constructor(
    private readonly repository: MailOutboxRepository,
    private readonly sender: MailSender,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * Stores the mails through `executor`, so they commit or roll back with the caller's transaction. Nothing is
   * sent until the caller calls kick() after its commit (or the next poll finds them).
   */
  async enqueueIn(
    executor: DbExecutor,
    mails: OutgoingMail[],
    now: Date,
  ): Promise<void> {
    await this.repository.enqueue(executor, mails, now);
    for (const mail of mails)
      this.events.emit(DomainEvent.MailQueued, {
        kind: mail.kind,
      } satisfies MailEvent);
  }

  /** Sends what is due now rather than at the next poll; returns at once. */
  kick(): void {
    this.sender.kick();
  }

  pendingCount(): Promise<number> {
    return this.repository.countPending();
  }
}
