import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { PassportModule } from '@nestjs/passport';
import { registrationConfig } from 'src/config/registration.config';
import { KeysModule } from 'src/keys/keys.module';
import { PasswordModule } from 'src/passwords/password.module';
import { SessionsModule } from 'src/sessions/sessions.module';
import { ThrottlingModule } from 'src/throttling/throttling.module';
import { UsersModule } from 'src/users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtStrategy } from './jwt.strategy';
import { loginAttemptsConfig } from 'src/config/login-attempts.config';
import { LoginAttemptsService } from './login-attempts.service';

@Module({
  imports: [
    ConfigModule.forFeature(registrationConfig),
    ConfigModule.forFeature(loginAttemptsConfig),
    ThrottlingModule,
    PassportModule,
    KeysModule,
    PasswordModule,
    UsersModule,
    SessionsModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, JwtStrategy, LoginAttemptsService],
})
export class AuthModule {}
