import type { OutgoingMail } from 'src/mail/outgoing-mail';

/** What every template knows: the product's name and where the front end lives. */
export interface MailContext {
  productName: string;
  appUrl: string;
}

/**
 * The mails of the email flows, as text and HTML. Links carry the token in the fragment (`#token=…`): a fragment
 * never reaches a server, so a mail scanner that follows the link fetches a page and spends nothing; only the
 * front end's POST uses the token. Every value from outside (names, addresses) is escaped in the HTML body;
 * addresses reach headers only after the API refused CR/LF in them.
 */
export const mailTemplates = {
  passwordReset(
    c: MailContext,
    to: string,
    username: string,
    token: string,
    ttlSeconds: number,
  ): OutgoingMail {
    const link = `${c.appUrl}/reset-password#token=${token}`;
    return compose(
      c,
      'password_reset',
      to,
      `Reset your ${c.productName} password`,
      [
        `Hello ${username},`,
        `someone (hopefully you) asked to reset the password of your ${c.productName} account. Choose a new password here:`,
        { link },
        `The link works once, for ${humanDuration(ttlSeconds)}. If you did not ask for it, ignore this mail: your password stays as it is.`,
      ],
    );
  },

  passwordResetNotice(
    c: MailContext,
    to: string,
    username: string,
  ): OutgoingMail {
    return compose(
      c,
      'password_reset_notice',
      to,
      `Your ${c.productName} password was changed`,
      [
        `Hello ${username},`,
        `the password of your ${c.productName} account was just reset with a link sent to this address, and every device was signed out.`,
        `If this was not you, reset your password again right away and tell your administrator.`,
      ],
    );
  },

  emailVerification(
    c: MailContext,
    to: string,
    username: string,
    token: string,
    ttlSeconds: number,
  ): OutgoingMail {
    const link = `${c.appUrl}/verify-email#token=${token}`;
    return compose(
      c,
      'email_verify',
      to,
      `Confirm your email address for ${c.productName}`,
      [
        `Hello ${username},`,
        `please confirm that this address belongs to your ${c.productName} account:`,
        { link },
        `The link works once, for ${humanDuration(ttlSeconds)}. If you did not create an account, ignore this mail.`,
      ],
    );
  },

  emailChange(
    c: MailContext,
    to: string,
    username: string,
    token: string,
    ttlSeconds: number,
  ): OutgoingMail {
    const link = `${c.appUrl}/confirm-email-change#token=${token}`;
    return compose(
      c,
      'email_change',
      to,
      `Confirm your new email address for ${c.productName}`,
      [
        `Hello ${username},`,
        `you asked to use this address for your ${c.productName} account. The change happens when you confirm it here:`,
        { link },
        `The link works once, for ${humanDuration(ttlSeconds)}. If you did not ask for this, ignore this mail.`,
      ],
    );
  },

  emailChangeNotice(
    c: MailContext,
    to: string,
    username: string,
    newEmail: string,
  ): OutgoingMail {
    return compose(
      c,
      'email_change_notice',
      to,
      `Your ${c.productName} email address is being changed`,
      [
        `Hello ${username},`,
        `someone signed in to your ${c.productName} account asked to change its email address to ${newEmail}. It changes only when that address confirms.`,
        `If this was not you, change your password now: whoever asked knows it.`,
      ],
    );
  },

  accountExists(c: MailContext, to: string, username: string): OutgoingMail {
    const link = `${c.appUrl}/forgot-password`;
    return compose(
      c,
      'account_exists',
      to,
      `You already have a ${c.productName} account`,
      [
        `Hello ${username},`,
        `someone tried to create a ${c.productName} account with this address, which already has one. If it was you, sign in, or reset your password here:`,
        { link },
        `If it was not you, ignore this mail: nothing changed.`,
      ],
    );
  },
};

type Paragraph = string | { link: string };

function compose(
  c: MailContext,
  kind: string,
  to: string,
  subject: string,
  paragraphs: Paragraph[],
): OutgoingMail {
  const text = [
    ...paragraphs.map((p) => (typeof p === 'string' ? p : p.link)),
    `— ${c.productName}`,
  ].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">',
    ...paragraphs.map((p) =>
      typeof p === 'string'
        ? `<p>${escapeHtml(p)}</p>`
        : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a></p>`,
    ),
    `<p>— ${escapeHtml(c.productName)}</p>`,
    '</body></html>',
  ].join('\n');
  return { kind, to, subject, text, html };
}

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (ch) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[
        ch
      ]!,
  );
}

/** 1800 → "30 minutes", 86400 → "24 hours". */
export function humanDuration(seconds: number): string {
  if (seconds % 3600 === 0) {
    const hours = seconds / 3600;
    return `${hours} hour${hours === 1 ? '' : 's'}`;
  }
  const minutes = Math.max(1, Math.round(seconds / 60));
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
