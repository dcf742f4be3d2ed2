import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { mailConfig } from 'src/config/mail.config';
import { MailListener } from './mail.listener';
import { MailOutboxRepository } from './mail-outbox.repository';
import { MailOutbox } from './mail-outbox.service';
import { MailSender } from './mail-sender.service';
import { createMailTransport, MailTransport } from './mail-transport';

/** The mail outbox: flows enqueue through MailOutbox inside their transaction; MailSender delivers (docs/mail.md). */
@Module({
  imports: [ConfigModule.forFeature(mailConfig)],
  providers: [
    MailOutboxRepository,
    MailSender,
    MailOutbox,
    MailListener,
    {
      provide: MailTransport,
      inject: [mailConfig.KEY],
      useFactory: (config: ConfigType<typeof mailConfig>) =>
        createMailTransport(config),
    },
  ],
  exports: [MailOutbox],
})
export class MailModule {}
