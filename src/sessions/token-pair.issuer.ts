import { Injectable } from '@nestjs/common';
import { AccessTokenService } from 'src/keys/access-token.service';
import type { AccessTokenOnly, Session, TokenPair } from './session';
import type { SessionOwnerRow } from './session-rows';

/** Signs the access token of a session and packs it with its refresh token, at login and at every rotation. */
@Injectable()
export class TokenPairIssuer {
  constructor(private readonly accessTokens: AccessTokenService) {}

  /** Signed with the owner's roles and token version as the caller read them together with the session. */
  issue(
    owner: SessionOwnerRow,
    session: Session,
    idleExpiresAt: Date,
    refreshToken: string,
    now: Date,
  ): TokenPair {
    const access = this.issueAccessToken(owner, session);
    const refreshEnds = Math.min(
      idleExpiresAt.getTime(),
      session.expiresAt.getTime(),
    );
    return {
      ...access,
      refresh_token: refreshToken,
      refresh_expires_in: Math.max(
        0,
        Math.floor((refreshEnds - now.getTime()) / 1000),
      ),
    };
  }

  /** An access token alone, carrying the session's sign-in facts (`amr`, `auth_time`) as given. */
  issueAccessToken(
    owner: SessionOwnerRow,
    session: Pick<Session, 'id' | 'expiresAt' | 'amr' | 'authTime'>,
  ): AccessTokenOnly {
    const access = this.accessTokens.sign({
      userId: owner.id,
      username: owner.username,
      roles: owner.roles,
      tokenVersion: owner.tokenVersion,
      emailVerified: owner.emailVerified,
      sessionId: session.id,
      sessionExpiresAt: session.expiresAt,
      amr: session.amr,
      authTime: session.authTime,
    });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
    };
  }
}
