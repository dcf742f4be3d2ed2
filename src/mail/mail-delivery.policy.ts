/** What the outbox does after a failed try, decided from the mail's history and the error alone (no I/O). */
export type FailureDecision =
  | { action: 'defer'; nextAttemptAt: Date }
  | { action: 'fail'; reason: 'rejected' | 'expired' };

export interface RetryPolicy {
  retryBaseSeconds: number;
  retryMaxDelaySeconds: number;
  maxAttempts: number;
  maxAgeSeconds: number;
}

/** The parts of a nodemailer error the policy reads. */
export interface SmtpErrorLike {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
}

const MAX_ERROR_LENGTH = 300;

/** Seconds to wait after the `attempts`-th try: base, 2×base, 4×base, … capped at the maximum delay. */
export function retryDelaySeconds(
  attempts: number,
  baseSeconds: number,
  maxDelaySeconds: number,
): number {
  const exponent = Math.max(0, attempts - 1);
  // 2^exponent overflows to Infinity long before it matters; min() keeps the cap.
  return Math.min(baseSeconds * 2 ** exponent, maxDelaySeconds);
}

/**
 * A 5xx reply refuses the message for good (RFC 5321); a 4xx reply or no reply at all (refused connection,
 * timeout, dropped socket) may go away on its own.
 */
export function isPermanent(error: SmtpErrorLike): boolean {
  return typeof error.responseCode === 'number' && error.responseCode >= 500;
}

/**
 * A permanent refusal is tried MAIL_MAX_ATTEMPTS times in all; a transient failure is retried until the mail is
 * older than MAIL_MAX_AGE. `attempts` counts the try that just failed.
 */
export function decideAfterFailure(
  mail: { attempts: number; createdAt: Date },
  error: SmtpErrorLike,
  now: Date,
  policy: RetryPolicy,
): FailureDecision {
  if (isPermanent(error)) {
    if (mail.attempts >= policy.maxAttempts)
      return { action: 'fail', reason: 'rejected' };
  } else if (
    now.getTime() - mail.createdAt.getTime() >
    policy.maxAgeSeconds * 1000
  )
    return { action: 'fail', reason: 'expired' };
  const delay = retryDelaySeconds(
    mail.attempts,
    policy.retryBaseSeconds,
    policy.retryMaxDelaySeconds,
  );
  return {
    action: 'defer',
    nextAttemptAt: new Date(now.getTime() + delay * 1000),
  };
}

/**
 * What last_error keeps: the SMTP code and the first line of the server's reply, or the error code and the first
 * line of the message; never the mail itself, at most 300 characters.
 */
export function summarizeError(error: SmtpErrorLike): string {
  const firstLine = (text: string | undefined): string =>
    (text ?? '').split(/\r?\n/, 1)[0].trim();
  let summary: string;
  if (typeof error.responseCode === 'number') {
    const code = String(error.responseCode);
    const reply = firstLine(error.response ?? error.message);
    summary = reply.startsWith(code) ? reply : `${code} ${reply}`.trim();
  } else
    summary = `${error.code ?? 'ERROR'} ${firstLine(error.message)}`.trim();
  summary = summary
    // Control characters never help a reader and could forge log lines.
    .replace(/\p{Cc}/gu, ' ');
  return summary.length > MAX_ERROR_LENGTH
    ? `${summary.slice(0, MAX_ERROR_LENGTH - 1)}…`
    : summary;
}

/** Why a mail cannot be put into headers safely, or undefined when it can. */
export function unsafeHeaders(mail: {
  to: string;
  subject: string;
}): string | undefined {
  if (/[\r\n]/.test(mail.to)) return 'refused: line break in the recipient';
  if (/[\r\n]/.test(mail.subject)) return 'refused: line break in the subject';
  return undefined;
}
