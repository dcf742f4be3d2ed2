'use strict';
// A passkey without a browser: an ES256 key pair made with node:crypto that answers Gatehouse's WebAuthn options the
// way a platform authenticator does (attestation "none", user present and verified, a counter that stays 0 like a
// synced passkey). The credential is fixed per user; every assertion is signed over its own fresh challenge, since a
// challenge works once.
const {
  createHash,
  generateKeyPairSync,
  randomBytes,
  sign,
} = require('node:crypto');
const { isoCBOR } = require('@simplewebauthn/server/helpers');

const b64url = (buffer) => Buffer.from(buffer).toString('base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

/** User present (0x01) and user verified (0x04); attested credential data follows (0x40) at registration. */
const UP_UV = 0x05;
const AT = 0x40;

class SoftwareAuthenticator {
  /** `origin` is what the browser would put in clientDataJSON: one of Gatehouse's WEBAUTHN_ORIGINS. */
  constructor(origin) {
    this.origin = origin;
    this.credentialId = randomBytes(16);
    this.keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.userHandle = undefined;
  }

  /** The registration response (`response` of POST /auth/passkeys/register) for creation options. */
  register(options) {
    this.rpId = options.rp.id;
    this.userHandle = options.user.id;
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    // COSE_Key for ES256: kty EC2 (1: 2), alg ES256 (3: -7), crv P-256 (-1: 1), x (-2), y (-3).
    const coseKey = isoCBOR.encode(
      new Map([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x, 'base64url')],
        [-3, Buffer.from(jwk.y, 'base64url')],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      this.authDataHead(UP_UV | AT),
      Buffer.alloc(16), // AAGUID: none, as attestation "none" authenticators send
      idLength,
      this.credentialId,
      Buffer.from(coseKey),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: this.clientData('webauthn.create', options.challenge),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /** The assertion (`response` of POST /auth/passkeys/login) for one challenge of request options. */
  assert(challenge) {
    const authenticatorData = this.authDataHead(UP_UV);
    const clientDataJSON = this.clientData('webauthn.get', challenge);
    const signature = sign(
      'sha256',
      Buffer.concat([
        authenticatorData,
        sha256(Buffer.from(clientDataJSON, 'base64url')),
      ]),
      this.keys.privateKey,
    );
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        authenticatorData: b64url(authenticatorData),
        clientDataJSON,
        signature: b64url(signature),
        userHandle: this.userHandle,
      },
    };
  }

  /** rpIdHash, flags and a signature counter of 0. */
  authDataHead(flags) {
    return Buffer.concat([
      sha256(this.rpId),
      Buffer.from([flags]),
      Buffer.alloc(4),
    ]);
  }

  clientData(type, challenge) {
    return b64url(
      JSON.stringify({
        type,
        challenge,
        origin: this.origin,
        crossOrigin: false,
      }),
    );
  }
}

module.exports = { SoftwareAuthenticator };
