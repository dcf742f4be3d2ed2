import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  createTransport,
  type SendMailOptions,
  type Transporter,
} from 'nodemailer';
import type { mailConfig } from 'src/config/mail.config';
import type { QueuedMail } from './mail-outbox.repository';

type MailConfig = ConfigType<typeof mailConfig>;

/**
 * Hands one mail to the world. Rejects with nodemailer's error (responseCode set when the server answered) when
 * the mail did not go; aborting `signal` ends the SMTP conversation.
 */
export abstract class MailTransport {
  abstract send(mail: QueuedMail, signal: AbortSignal): Promise<void>;
  abstract close(): void;
}

function message(
  config: MailConfig,
  mail: QueuedMail,
  signal: AbortSignal,
): SendMailOptions {
  return {
    from: config.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html || undefined,
    signal,
  };
}

/** SMTP_URL: STARTTLS whenever the server offers it on smtp:// (required with SMTP_REQUIRE_TLS), TLS at once on smtps://. */
export class SmtpMailTransport extends MailTransport {
  private readonly transporter: Transporter;

  constructor(
    private readonly config: MailConfig,
    smtpUrl: string,
  ) {
    super();
    const timeout = config.timeoutSeconds * 1000;
    this.transporter = createTransport({
      url: smtpUrl,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      requireTLS: config.requireTls,
    });
  }

  async send(mail: QueuedMail, signal: AbortSignal): Promise<void> {
    await this.transporter.sendMail(message(this.config, mail, signal));
  }

  close(): void {
    this.transporter.close();
  }
}

const LINK_PATTERN = /https?:\/\/[^\s<>"')]+/g;

/**
 * No SMTP_URL (development only; production refuses to start without one): each mail becomes an .eml file under
 * DATA_DIR/mail, and a warning names the file and the links in it, so a newcomer can click through.
 */
export class FileMailTransport extends MailTransport {
  private readonly logger = new Logger('MailTransport');
  private readonly transporter = createTransport({
    streamTransport: true,
    buffer: true,
  });
  private readonly dir: string;

  constructor(private readonly config: MailConfig) {
    super();
    this.dir = join(config.dataDir, 'mail');
  }

  announce(): void {
    this.logger.warn(`mail written to ${this.dir} (no SMTP_URL)`);
  }

  async send(mail: QueuedMail, signal: AbortSignal): Promise<void> {
    const info = await this.transporter.sendMail(
      message(this.config, mail, signal),
    );
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/:/g, '-');
    const path = join(this.dir, `${stamp}-${mail.id}.eml`);
    await writeFile(path, info.message as Buffer, { mode: 0o600 });
    const links = mail.text.match(LINK_PATTERN) ?? [];
    this.logger.warn(
      `mail to ${mail.to} written to ${path}${links.length ? `; links: ${links.join(' ')}` : ''}`,
    );
  }

  close(): void {
    this.transporter.close();
  }
}

export function createMailTransport(config: MailConfig): MailTransport {
  if (config.smtpUrl) return new SmtpMailTransport(config, config.smtpUrl);
  const transport = new FileMailTransport(config);
  if (config.enabled) transport.announce();
  return transport;
}
