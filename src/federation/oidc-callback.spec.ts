import {
  bindingMatches,
  derivedUsername,
  exchangeReturnError,
  parseBinding,
  providerReturnError,
  returnUrl,
  sha256,
} from './oidc-callback';

const FLOW = '3b241101-e2bb-4255-8caf-4136c566a962';
const SECRET = 'A'.repeat(43);

describe('provider sign-in decisions', () => {
  describe(parseBinding.name, () => {
    it('reads the flow id and the secret of a well-formed cookie', () => {
      expect(parseBinding(`${FLOW}.${SECRET}`)).toEqual({
        flowId: FLOW,
        secret: SECRET,
      });
    });

    it.each([
      [undefined],
      [''],
      [FLOW],
      [`${FLOW}.${SECRET}x`],
      [`${FLOW}.${'A'.repeat(42)}`],
      [`${FLOW}.${SECRET}.extra`],
      [`x${FLOW}.${SECRET}`],
      [`${FLOW}.${'A'.repeat(42)}=`],
    ])('refuses %p', (cookie) => {
      expect(parseBinding(cookie)).toBeUndefined();
    });
  });

  describe(bindingMatches.name, () => {
    it('accepts the secret whose hash the flow stored, and no other', () => {
      expect(bindingMatches(SECRET, sha256(SECRET))).toBe(true);
      expect(bindingMatches('B'.repeat(43), sha256(SECRET))).toBe(false);
      expect(bindingMatches(SECRET, sha256(SECRET).slice(1))).toBe(false);
      expect(bindingMatches(SECRET, '')).toBe(false);
    });
  });

  describe(returnUrl.name, () => {
    it('adds the parameters to the client’s URL, keeps its own query, and leaves out absent ones', () => {
      const url = new URL(
        returnUrl('https://app.example/cb?tenant=7', {
          code: 'c',
          state: null,
          error: undefined,
        }),
      );
      expect(url.origin + url.pathname).toBe('https://app.example/cb');
      expect([...url.searchParams]).toEqual([
        ['tenant', '7'],
        ['code', 'c'],
      ]);
    });

    it('encodes the client’s state instead of letting it add parameters', () => {
      const url = new URL(
        returnUrl('https://app.example/cb', { state: 'a&code=evil' }),
      );
      expect(url.searchParams.get('state')).toBe('a&code=evil');
      expect(url.searchParams.get('code')).toBeNull();
    });
  });

  describe(sha256.name, () => {
    it('is the unpadded base64url SHA-256 of the text', () => {
      expect(sha256('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    });
  });

  describe(providerReturnError.name, () => {
    it('passes access_denied through and reduces anything else to invalid_request', () => {
      expect(providerReturnError('access_denied')).toBe('access_denied');
      expect(providerReturnError('login_required')).toBe('invalid_request');
      expect(providerReturnError('<script>')).toBe('invalid_request');
    });
  });

  describe(exchangeReturnError.name, () => {
    const named = (name: string, extra: object = {}) =>
      Object.assign(new Error('x'), { name }, extra);

    it('calls the token endpoint’s invalid_grant invalid_grant, and its other refusals invalid_request', () => {
      expect(
        exchangeReturnError(
          named('ResponseBodyError', { error: 'invalid_grant' }),
        ),
      ).toBe('invalid_grant');
      expect(
        exchangeReturnError(
          named('ResponseBodyError', { error: 'invalid_client' }),
        ),
      ).toBe('invalid_request');
    });

    it('calls an unreachable provider temporarily_unavailable', () => {
      expect(exchangeReturnError(new TypeError('fetch failed'))).toBe(
        'temporarily_unavailable',
      );
      expect(exchangeReturnError(named('AbortError'))).toBe(
        'temporarily_unavailable',
      );
      expect(exchangeReturnError(named('TimeoutError'))).toBe(
        'temporarily_unavailable',
      );
      expect(exchangeReturnError(new TypeError('other'))).toBe(
        'invalid_response',
      );
    });

    it('calls a failed check of the answer (nonce, signature, claims) invalid_response', () => {
      expect(exchangeReturnError(named('OperationProcessingError'))).toBe(
        'invalid_response',
      );
      expect(exchangeReturnError(named('JWSSignatureVerificationFailed'))).toBe(
        'invalid_response',
      );
      expect(exchangeReturnError(named('AuthorizationResponseError'))).toBe(
        'invalid_request',
      );
      expect(exchangeReturnError(undefined)).toBe('invalid_response');
    });
  });

  describe(derivedUsername.name, () => {
    it('takes preferred_username, then the address’s local part, then the name', () => {
      expect(
        derivedUsername(
          { preferred_username: 'ada.l', email: 'x@y.z', name: 'Ada' },
          0,
          '123456',
        ),
      ).toBe('ada.l');
      expect(derivedUsername({ email: 'grace.h@navy.mil' }, 0, '1')).toBe(
        'grace.h',
      );
      expect(derivedUsername({ name: 'Ada Lovelace' }, 0, '1')).toBe(
        'AdaLovelace',
      );
    });

    it('reduces a name to the registration rules, skipping one left too short', () => {
      expect(derivedUsername({ preferred_username: 'Zoë Ö' }, 0, '1')).toBe(
        'ZoeO',
      );
      expect(
        derivedUsername(
          { preferred_username: '李', email: 'li@x.cn', name: 'Li Wei' },
          0,
          '1',
        ),
      ).toBe('LiWei');
      expect(
        derivedUsername({ preferred_username: 'a'.repeat(40) }, 0, '1'),
      ).toBe('a'.repeat(24));
    });

    it('falls back to user, and adds the suffix on a later attempt', () => {
      expect(derivedUsername({}, 0, '123456')).toBe('user');
      expect(derivedUsername({ email: 42 }, 0, '1')).toBe('user');
      expect(derivedUsername({ preferred_username: 'ada' }, 1, '123456')).toBe(
        'ada-123456',
      );
      expect(derivedUsername({}, 2, '654321')).toBe('user-654321');
    });

    it('takes a name of exactly three characters and skips one of two', () => {
      expect(derivedUsername({ preferred_username: 'ada' }, 0, '1')).toBe(
        'ada',
      );
      expect(
        derivedUsername({ preferred_username: 'al', name: 'Alan' }, 0, '1'),
      ).toBe('Alan');
    });

    it('falls back to user-<suffix> when the suffixed name breaks the registration rules', () => {
      const long = 'b'.repeat(24);
      expect(derivedUsername({ preferred_username: long }, 1, '1234567')).toBe(
        `${long}-1234567`,
      );
      expect(derivedUsername({ preferred_username: long }, 1, '12345678')).toBe(
        'user-12345678',
      );
    });
  });
});
