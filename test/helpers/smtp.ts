import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the test SMTP server received and parsed it. */
export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  /** Every header line as received, raw, for checks on what reached a header. */
  rawHeaders: string;
}

/**
 * A real SMTP server in the test process (the nodemailer project's smtp-server on 127.0.0.1:0), parsing what it
 * receives with mailparser. `rejectWith(550)` makes it refuse every message at DATA until `rejectWith(null)`.
 */
export interface TestSmtp {
  port: number;
  url: string;
  received: ReceivedMail[];
  mailsTo(address: string): ReceivedMail[];
  /** Resolves with the next mail to `address` not yet handed out by this method (waits up to timeoutMs). */
  nextMail(address: string, timeoutMs?: number): Promise<ReceivedMail>;
  rejectWith(code: number | null): void;
  close(): Promise<void>;
}

export async function startSmtpServer(port = 0): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const handedOut = new Set<ReceivedMail>();
  const waiters: Array<() => void> = [];
  let rejectCode: number | null = null;
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (rejectCode !== null) {
          const error = new Error('refused by the test server') as Error & {
            responseCode: number;
          };
          error.responseCode = rejectCode;
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            const headerEnd = raw.indexOf('\r\n\r\n');
            received.push({
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              from:
                session.envelope.mailFrom === false
                  ? ''
                  : session.envelope.mailFrom.address,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              rawHeaders: raw.subarray(0, headerEnd).toString('utf8'),
            });
            for (const wake of waiters.splice(0)) wake();
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as AddressInfo;
  const mailsTo = (to: string): ReceivedMail[] =>
    received.filter((m) => m.to.includes(to.toLowerCase()));
  return {
    port: address.port,
    url: `smtp://127.0.0.1:${address.port}`,
    received,
    mailsTo,
    nextMail(to, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no mail to ${to} within ${timeoutMs} ms`));
        }, timeoutMs);
        const look = (): void => {
          const mail = mailsTo(to).find((m) => !handedOut.has(m));
          if (mail) {
            clearTimeout(timer);
            handedOut.add(mail);
            resolve(mail);
          } else waiters.push(look);
        };
        look();
      });
    },
    rejectWith(code) {
      rejectCode = code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A server that accepts connections and never says a word (no 220 greeting): the client must time out. */
export async function startSilentServer(): Promise<{
  port: number;
  url: string;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, read, and released again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The token a mail's link carries in its fragment (`…#token=…`). */
export function tokenFrom(mail: ReceivedMail): string {
  const match = /#token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match) throw new Error(`no #token= link in mail "${mail.subject}"`);
  return match[1];
}
