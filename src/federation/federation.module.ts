import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { oidcConfig } from 'src/config/oidc.config';
import { HealthModule } from 'src/health/health.module';
import { MfaModule } from 'src/mfa/mfa.module';
import { PasskeysModule } from 'src/passkeys/passkeys.module';
import { SessionsModule } from 'src/sessions/sessions.module';
import { ThrottlingModule } from 'src/throttling/throttling.module';
import { UsersModule } from 'src/users/users.module';
import {
  FederationController,
  IdentitiesController,
} from './federation.controller';
import { FederatedIdentitiesService } from './federated-identities.service';
import { FederationRepository } from './federation.repository';
import { OidcExchangeService } from './oidc-exchange.service';
import { OidcFlowsPurge } from './oidc-flows.purge';
import { OidcProviders } from './oidc-providers.service';
import { OidcSignInService } from './oidc-sign-in.service';

/** Sign-in through external OpenID Connect providers, and the identities linked to accounts (docs/federation.md). */
@Module({
  imports: [
    ConfigModule.forFeature(oidcConfig),
    HealthModule,
    MfaModule,
    PasskeysModule,
    SessionsModule,
    ThrottlingModule,
    UsersModule,
  ],
  controllers: [FederationController, IdentitiesController],
  providers: [
    FederationRepository,
    FederatedIdentitiesService,
    OidcExchangeService,
    OidcFlowsPurge,
    OidcProviders,
    OidcSignInService,
  ],
})
export class FederationModule {}
