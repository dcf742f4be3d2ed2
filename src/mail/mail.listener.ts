import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvent } from 'src/events/domain-events';
import { MailOutbox } from './mail-outbox.service';

/** Answers the outbox gauge, so metrics never reads this feature's table. */
@Injectable()
export class MailListener {
  constructor(private readonly outbox: MailOutbox) {}

  @OnEvent(DomainEvent.MailPendingCountRequested, { suppressErrors: false })
  pendingCount(): Promise<number> {
    return this.outbox.pendingCount();
  }
}
