import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { mfaConfig } from 'src/config/mfa.config';
import { LockoutModule } from 'src/lockout/lockout.module';
import { RevocationModule } from 'src/revocation/revocation.module';
import { PasskeysModule } from 'src/passkeys/passkeys.module';
import { SessionsModule } from 'src/sessions/sessions.module';
import { ThrottlingModule } from 'src/throttling/throttling.module';
import { UsersModule } from 'src/users/users.module';
import { MfaAdminController, MfaController } from './mfa.controller';
import { MfaEnrolmentService } from './mfa-enrolment.service';
import { MfaLoginService } from './mfa-login.service';
import { MfaChallengesPurge } from './mfa-challenges.purge';
import { MfaRepository } from './mfa.repository';
import { TotpSecretBox } from './totp-secret-box';

/** The second factor: TOTP, recovery codes, login challenges (docs/mfa.md). */
@Module({
  imports: [
    ConfigModule.forFeature(mfaConfig),
    LockoutModule,
    RevocationModule,
    PasskeysModule,
    SessionsModule,
    ThrottlingModule,
    UsersModule,
  ],
  controllers: [MfaController, MfaAdminController],
  providers: [
    MfaChallengesPurge,
    MfaRepository,
    TotpSecretBox,
    MfaEnrolmentService,
    MfaLoginService,
  ],
  exports: [MfaLoginService],
})
export class MfaModule {}
