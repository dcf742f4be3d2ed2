import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createTestApp, type TestApp } from './helpers/test-app';

jest.setTimeout(60_000);

/** How long a test waits for the server to act before it concludes the server never will. */
const DEADLINE_MS = 12_000;

interface Outcome {
  /** Everything the server sent before it closed the connection. */
  received: string;
  /** Whether the server closed the connection before the deadline. */
  closedByServer: boolean;
  /** Bytes the client managed to send in that time. */
  sent: number;
  elapsedMs: number;
}

/**
 * Opens a raw connection, sends `head`, then one `trickle` chunk every `everyMs` until the server closes the
 * connection or the deadline passes. A real slow client: no supertest, no complete request.
 */
function trickle(
  port: number,
  head: string,
  chunk: string,
  everyMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closedByServer: boolean): void => {
      clearInterval(timer);
      clearTimeout(deadline);
      socket.destroy();
      resolve({
        received,
        closedByServer,
        sent,
        elapsedMs: Date.now() - started,
      });
    };
    const deadline = setTimeout(() => finish(false), DEADLINE_MS);
    socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
    // A write racing the server's close ends in EPIPE or ECONNRESET: the server closed it either way.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      socket.write(head);
      sent += head.length;
      timer = setInterval(() => {
        if (socket.writable) {
          socket.write(chunk);
          sent += chunk.length;
        }
      }, everyMs);
    });
  });
}

describe('HTTP server limits (e2e)', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({
      HTTP_REQUEST_TIMEOUT: '4s',
      HTTP_HEADERS_TIMEOUT: '1s',
      HTTP_CONNECTION_TIMEOUT: '2s',
      HTTP_KEEP_ALIVE_TIMEOUT: '2s',
      HTTP_MAX_HEADER_BYTES: '8192',
    });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
  });

  it('cuts off a client that trickles its body, with a 408, once HTTP_REQUEST_TIMEOUT has passed', async () => {
    const body = JSON.stringify({
      username: 'slow',
      password: 'x'.repeat(500),
    });
    const outcome = await trickle(
      port,
      'POST /auth/login HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\n\r\n`,
      '{',
      100,
    );
    expect(outcome.closedByServer).toBe(true);
    expect(outcome.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.sent).toBeLessThan(body.length);
    // The limit is checked once a second.
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(3_900);
    expect(outcome.elapsedMs).toBeLessThan(7_000);
  });

  it('cuts off a client that trickles its headers once HTTP_HEADERS_TIMEOUT has passed', async () => {
    const outcome = await trickle(
      port,
      'GET /health/live HTTP/1.1\r\nHost: gatehouse\r\n',
      'X-Slow: 1\r\n',
      100,
    );
    expect(outcome.closedByServer).toBe(true);
    expect(outcome.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.elapsedMs).toBeLessThan(4_000);
  });

  it('drops a client that goes silent in the middle of its body after HTTP_CONNECTION_TIMEOUT', async () => {
    const outcome = await trickle(
      port,
      'POST /auth/login HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"user',
      '',
      // Never: the client sends nothing more.
      60_000,
    );
    expect(outcome.closedByServer).toBe(true);
    // Inactivity, before the 4 s request limit would have answered 408.
    expect(outcome.received).toBe('');
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(1_900);
    expect(outcome.elapsedMs).toBeLessThan(3_900);
  });

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT', async () => {
    const outcome = await trickle(
      port,
      'GET /health/live HTTP/1.1\r\nHost: gatehouse\r\nConnection: keep-alive\r\n\r\n',
      '',
      // Never: the client sends nothing after its request.
      60_000,
    );
    expect(outcome.closedByServer).toBe(true);
    expect(outcome.received).toMatch(/^HTTP\/1\.1 200 /);
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(1_900);
    expect(outcome.elapsedMs).toBeLessThan(5_000);
  });

  it('answers 431 to headers larger than HTTP_MAX_HEADER_BYTES and serves headers below it', async () => {
    const big = await t
      .http()
      .get('/health/live')
      .set('x-padding', 'a'.repeat(9_000))
      .catch((error: { response?: { status: number } }) => error.response);
    expect(big?.status).toBe(431);
    await t
      .http()
      .get('/health/live')
      .set('x-padding', 'a'.repeat(6_000))
      .expect(200);
  });
});
