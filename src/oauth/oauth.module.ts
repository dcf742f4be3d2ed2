import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { authConfig } from 'src/config/auth.config';
import { KeysModule } from 'src/keys/keys.module';
import { SessionsModule } from 'src/sessions/sessions.module';
import { IntrospectionAuthGuard } from './introspection-auth.guard';
import { OAuthController } from './oauth.controller';
import { OAuthService } from './oauth.service';

@Module({
  imports: [ConfigModule.forFeature(authConfig), KeysModule, SessionsModule],
  controllers: [OAuthController],
  providers: [OAuthService, IntrospectionAuthGuard],
})
export class OAuthModule {}
