import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { serializeError, type SerializedError } from './error-serializer';
import { pinoHttpOptions } from './pino-options';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g';
const EMAIL = 'alice@example.com';

/** pg's DatabaseError as it arrives: SQLSTATE, severity, and fields that may quote the row. */
function databaseError(
  code: string,
  message: string,
  fields: Record<string, string> = {},
): Error {
  return Object.assign(new Error(message), {
    code,
    severity: 'ERROR',
    ...fields,
  });
}

/** What pino's standard serializer passes on: a plain copy with the original under `raw`. */
function asPino(error: Error): SerializedError {
  return {
    type: error.constructor.name,
    message: error.message,
    stack: error.stack,
    ...(error as unknown as Record<string, unknown>),
    raw: error,
  };
}

describe(serializeError.name, () => {
  it('logs a failed query by statement, SQLSTATE and constraint, without its parameters or the failing row', () => {
    const cause = databaseError(
      '23514',
      'new row for relation "users" violates check constraint "users_check"',
      {
        constraint: 'users_check',
        table: 'users',
        detail: `Failing row contains (1, alice, ${EMAIL}, ${HASH}).`,
        where: `SQL function with ${EMAIL}`,
      },
    );
    const error = new DrizzleQueryError(
      'insert into "users" ("email", "password_hash") values ($1, $2)',
      [EMAIL, HASH],
      cause,
    );
    const serialized = serializeError(asPino(error));
    const text = JSON.stringify(serialized);
    for (const secret of [EMAIL, HASH, 'params', 'Failing row'])
      expect(text).not.toContain(secret);
    expect(serialized).toMatchObject({
      type: 'DrizzleQueryError',
      message:
        'Failed query: insert into "users" ("email", "password_hash") values ($1, $2)',
      sqlstate: '23514',
      constraint: 'users_check',
      table: 'users',
      cause: {
        message:
          'new row for relation "users" violates check constraint "users_check"',
        sqlstate: '23514',
      },
    });
    expect(serialized.stack).toMatch(
      /^DrizzleQueryError: Failed query: .*\n\s+at /,
    );
  });

  it('withholds the message of a data exception, which quotes the input', () => {
    const cause = databaseError(
      '22P02',
      `invalid input syntax for type uuid: "${EMAIL}"`,
    );
    const serialized = serializeError(
      asPino(new DrizzleQueryError('select 1 where id = $1', [EMAIL], cause)),
    );
    expect(JSON.stringify(serialized)).not.toContain(EMAIL);
    expect(serialized).toMatchObject({
      sqlstate: '22P02',
      cause: { message: expect.stringContaining('22P02') as unknown },
    });
  });

  it('keeps other errors as before, with tokens masked', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const serialized = serializeError({
      ...asPino(new Error(`refused ${jwt}`)),
      statusCode: 418,
    });
    expect(serialized).toMatchObject({
      type: 'Error',
      message: 'refused [Redacted]',
      statusCode: 418,
    });
    expect(JSON.stringify(serialized)).not.toContain(jwt);
  });

  it('serializes the same through pino-http and through a plain pino logger, which passes the Error itself', () => {
    let written = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done: () => void): void {
        written += chunk.toString('utf8');
        done();
      },
    });
    const cause = databaseError('23505', 'duplicate key value', {
      constraint: 'users_email_key',
      detail: `Key (email)=(${EMAIL}) already exists.`,
    });
    const error = new DrizzleQueryError('insert $1', [EMAIL, HASH], cause);
    // nestjs-pino 4 logs outside a request through pino(options); requests through pino-http's logger.
    pino(pinoHttpOptions('info'), stream).error({ err: error }, 'plain');
    pinoHttp(pinoHttpOptions('info'), stream).logger.error(
      { err: error },
      'http',
    );
    for (const secret of [EMAIL, HASH, 'params'])
      expect(written).not.toContain(secret);
    const lines = written
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { err: unknown });
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line.err).toMatchObject({
        type: 'DrizzleQueryError',
        message: 'Failed query: insert $1',
        sqlstate: '23505',
        constraint: 'users_email_key',
      });
  });
});
