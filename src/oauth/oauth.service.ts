import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { oauthConfig } from 'src/config/oauth.config';
import { tokensConfig } from 'src/config/tokens.config';
import type { Principal } from 'src/access/principal';
import { Role } from 'src/access/role.enum';
import { AccessTokenVerifier } from 'src/keys/access-token-verifier';
import { SessionsService } from 'src/sessions/sessions.service';
import type { IntrospectionResponseDto } from './dto/introspection-response.dto';
import {
  introspectionClientError,
  introspectionForbiddenError,
} from './oauth.errors';

type TokenKind = 'access_token' | 'refresh_token';

const INACTIVE: IntrospectionResponseDto = { active: false };

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** RFC 6749 §2.3.1: Basic credentials are form-encoded before base64. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Token revocation (RFC 7009) and introspection (RFC 7662) over Gatehouse's own tokens. */
@Injectable()
export class OAuthService {
  private readonly logger = new Logger(OAuthService.name);

  constructor(
    private readonly accessTokens: AccessTokenVerifier,
    private readonly sessions: SessionsService,
    @Inject(oauthConfig.KEY)
    private readonly config: ConfigType<typeof oauthConfig>,
    @Inject(tokensConfig.KEY)
    private readonly tokens: ConfigType<typeof tokensConfig>,
  ) {}

  /**
   * Ends the session a refresh or access token belongs to. Unknown, invalid and expired tokens are ignored: the
   * caller learns nothing (RFC 7009 §2.2 answers 200 either way).
   */
  async revoke(token: string, hint?: string): Promise<void> {
    for (const kind of this.searchOrder(hint)) {
      const sessionId =
        kind === 'access_token'
          ? this.liveAccessToken(token)?.sessionId
          : (await this.sessions.describeRefreshToken(token))?.sessionId;
      if (!sessionId) continue;
      await this.sessions.endSessions([sessionId], 'token_revoked');
      this.logger.log({ event: 'token_revoked', sessionId, tokenType: kind });
      return;
    }
  }

  async introspect(
    token: string,
    hint?: string,
  ): Promise<IntrospectionResponseDto> {
    for (const kind of this.searchOrder(hint)) {
      const answer =
        kind === 'access_token'
          ? this.introspectAccess(token)
          : await this.introspectRefresh(token);
      if (answer) return answer;
    }
    return INACTIVE;
  }

  /**
   * Admits an introspection caller: Basic with any client id and INTROSPECTION_SECRET as the password, or the
   * bearer access token of an admin.
   */
  authorizeIntrospection(authorization: string | undefined): void {
    const [scheme, credentials] = (authorization ?? '').trim().split(/\s+/, 2);
    if (/^basic$/i.test(scheme ?? '') && credentials) {
      if (!this.validBasic(credentials)) throw introspectionClientError();
      return;
    }
    if (/^bearer$/i.test(scheme ?? '') && credentials) {
      const principal = this.liveAccessToken(credentials);
      if (!principal) throw introspectionClientError();
      if (!principal.roles.includes(Role.Admin))
        throw introspectionForbiddenError();
      return;
    }
    throw introspectionClientError();
  }

  private validBasic(credentials: string): boolean {
    const secret = this.config.introspectionSecret;
    if (!secret) return false;
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return false;
    const clientId = formDecode(decoded.slice(0, colon));
    const password = formDecode(decoded.slice(colon + 1));
    if (!clientId || password === undefined) return false;
    // Equal-length digests: the comparison time does not depend on where the secrets differ.
    return timingSafeEqual(digest(password), digest(secret));
  }

  private searchOrder(hint?: string): TokenKind[] {
    return hint === 'access_token'
      ? ['access_token', 'refresh_token']
      : ['refresh_token', 'access_token'];
  }

  /** The same verdict the request guard reaches (AccessTokenVerifier), without the reason for a refusal. */
  private liveAccessToken(token: string): Principal | undefined {
    const verdict = this.accessTokens.verify(token);
    return typeof verdict === 'string' ? undefined : verdict;
  }

  private introspectAccess(
    token: string,
  ): IntrospectionResponseDto | undefined {
    const principal = this.liveAccessToken(token);
    if (!principal) return undefined;
    // The verifier accepts only our issuer and audience, so the token's `iss` and `aud` are the configured ones.
    return {
      active: true,
      sub: principal.userId,
      username: principal.username,
      roles: principal.roles,
      exp: principal.expiresAt,
      iat: principal.issuedAt,
      iss: this.tokens.issuer,
      aud: this.tokens.audience,
      sid: principal.sessionId,
      jti: principal.tokenId,
      amr: principal.amr,
      auth_time: principal.authTime,
      token_type: 'access_token',
    };
  }

  private async introspectRefresh(
    token: string,
  ): Promise<IntrospectionResponseDto | undefined> {
    const info = await this.sessions.describeRefreshToken(token);
    if (!info?.active) return undefined;
    return {
      active: true,
      sub: info.userId,
      username: info.username,
      roles: info.roles,
      exp: Math.floor(info.expiresAt.getTime() / 1000),
      iat: Math.floor(info.issuedAt.getTime() / 1000),
      iss: this.tokens.issuer,
      aud: this.tokens.audience,
      sid: info.sessionId,
      amr: info.amr,
      auth_time: Math.floor(info.authTime.getTime() / 1000),
      token_type: 'refresh_token',
    };
  }
}
