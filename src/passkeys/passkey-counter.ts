/**
 * The WebAuthn signature-counter rule (§6.1.1 of the spec): an authenticator that counts reports a larger counter on
 * every assertion, so a counter that stays or goes back means the credential was copied (or a response replayed).
 * Authenticators that do not count (many passkeys, synced ones included) report 0 every time, which is allowed
 * while the stored counter is 0 too.
 */
export function counterAccepted(stored: number, received: number): boolean {
  if (stored === 0 && received === 0) return true;
  return received > stored;
}
