import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { webauthnConfig } from 'src/config/webauthn.config';
import { SessionsModule } from 'src/sessions/sessions.module';
import { ThrottlingModule } from 'src/throttling/throttling.module';
import { UsersModule } from 'src/users/users.module';
import {
  PasskeysAdminController,
  PasskeysController,
} from './passkeys.controller';
import { PasskeysRepository } from './passkeys.repository';
import { PasskeyRegistrationService } from './passkey-registration.service';
import { PasskeysService } from './passkeys.service';
import { WebauthnCeremoniesPurge } from './webauthn-ceremonies.purge';

/** Passkeys: registration, passwordless sign-in, and a passkey as the second factor of a login (docs/passkeys.md). */
@Module({
  imports: [
    ConfigModule.forFeature(webauthnConfig),
    SessionsModule,
    ThrottlingModule,
    UsersModule,
  ],
  controllers: [PasskeysController, PasskeysAdminController],
  providers: [
    WebauthnCeremoniesPurge,
    PasskeysRepository,
    PasskeysService,
    PasskeyRegistrationService,
  ],
  exports: [PasskeysService],
})
export class PasskeysModule {}
