import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { oauthConfig } from 'src/config/oauth.config';
import { tokensConfig } from 'src/config/tokens.config';
import { KeysModule } from 'src/keys/keys.module';
import { SessionsModule } from 'src/sessions/sessions.module';
import { DiscoveryController } from './discovery.controller';
import { DiscoveryService } from './discovery.service';
import { IntrospectionAuthGuard } from './introspection-auth.guard';
import { OAuthController } from './oauth.controller';
import { OAuthService } from './oauth.service';

@Module({
  imports: [
    ConfigModule.forFeature(oauthConfig),
    ConfigModule.forFeature(tokensConfig),
    KeysModule,
    SessionsModule,
  ],
  controllers: [DiscoveryController, OAuthController],
  providers: [OAuthService, IntrospectionAuthGuard, DiscoveryService],
})
export class OAuthModule {}
