import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { emailConfig } from 'src/config/email.config';
import { registrationConfig } from 'src/config/registration.config';
import { MailModule } from 'src/mail/mail.module';
import { PasswordModule } from 'src/passwords/password.module';
import { SessionsModule } from 'src/sessions/sessions.module';
import { ThrottlingModule } from 'src/throttling/throttling.module';
import { UsersModule } from 'src/users/users.module';
import { EmailAdminController, EmailController } from './email.controller';
import { EmailChangeService } from './email-change.service';
import { EmailMailer } from './email-mailer';
import { EmailService } from './email.service';
import { EmailTokensRepository } from './email-tokens.repository';

/** Account recovery, email verification and email change, over the mail outbox (docs/email.md). */
@Module({
  imports: [
    ConfigModule.forFeature(emailConfig),
    ConfigModule.forFeature(registrationConfig),
    MailModule,
    PasswordModule,
    SessionsModule,
    ThrottlingModule,
    UsersModule,
  ],
  controllers: [EmailController, EmailAdminController],
  providers: [
    EmailMailer,
    EmailService,
    EmailChangeService,
    EmailTokensRepository,
  ],
  exports: [EmailService, EmailChangeService],
})
export class EmailModule {}
