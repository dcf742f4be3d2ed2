'use strict';
// The authenticator app's side of TOTP for the bench: the code a secret shows at a moment, and the 30-second step it
// belongs to (Gatehouse accepts each step once per user, so the flows scenario tracks which steps it has spent).
const { Secret, TOTP } = require('otpauth');

const PERIOD = 30;

/** The time step of a moment (ms since the epoch). */
const stepAt = (ms) => Math.floor(ms / 1000 / PERIOD);

/** A code generator for a base32 secret, as an app set up from the otpauth URI would make them. */
function totpFor(base32) {
  const totp = new TOTP({
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(base32),
  });
  return { codeAt: (ms) => totp.generate({ timestamp: ms }) };
}

module.exports = { PERIOD, stepAt, totpFor };
