import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { keysConfig } from 'src/config/keys.config';
import { tokensConfig } from 'src/config/tokens.config';
import { RevocationModule } from 'src/revocation/revocation.module';
import { AccessTokenVerifier } from './access-token-verifier';
import { AccessTokenService } from './access-token.service';
import { JwksController } from './jwks.controller';
import { KeyStoreService } from './key-store.service';
import { KeysAdminController } from './keys-admin.controller';
import { SigningKeysRepository } from './signing-keys.repository';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [
    ConfigModule.forFeature(keysConfig),
    ConfigModule.forFeature(tokensConfig),
    RevocationModule,
  ],
  controllers: [JwksController, KeysAdminController],
  providers: [
    SigningKeysRepository,
    KeyStoreService,
    SigningKeysService,
    AccessTokenService,
    AccessTokenVerifier,
  ],
  exports: [SigningKeysService, AccessTokenService, AccessTokenVerifier],
})
export class KeysModule {}
