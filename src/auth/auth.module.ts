import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { PassportModule } from '@nestjs/passport';
import { emailConfig } from 'src/config/email.config';
import { registrationConfig } from 'src/config/registration.config';
import { EmailModule } from 'src/email/email.module';
import { KeysModule } from 'src/keys/keys.module';
import { PasswordModule } from 'src/passwords/password.module';
import { SessionsModule } from 'src/sessions/sessions.module';
import { ThrottlingModule } from 'src/throttling/throttling.module';
import { UsersModule } from 'src/users/users.module';
import { AuthController } from './auth.controller';
import { AccountService } from './account.service';
import { AuthService } from './auth.service';
import { JwtStrategy } from './jwt.strategy';
import { LockoutModule } from 'src/lockout/lockout.module';
import { MfaModule } from 'src/mfa/mfa.module';

@Module({
  imports: [
    ConfigModule.forFeature(registrationConfig),
    ConfigModule.forFeature(emailConfig),
    ThrottlingModule,
    PassportModule,
    KeysModule,
    PasswordModule,
    UsersModule,
    SessionsModule,
    EmailModule,
    LockoutModule,
    MfaModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, AccountService, JwtStrategy],
})
export class AuthModule {}
