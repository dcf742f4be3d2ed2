import { DrizzleQueryError } from 'drizzle-orm';
import { stdSerializers } from 'pino';
import { scrub, scrubString } from './redact';

/** What pino's standard serializer hands on: the plain copy, with the original error under `raw`. */
export interface SerializedError {
  type?: string;
  message?: string;
  stack?: string;
  raw?: unknown;
  [key: string]: unknown;
}

/** A database error's fields that name schema objects only; detail, where, hint and internalQuery can hold row values. */
const NAMED_FIELDS = ['constraint', 'table', 'column', 'routine'] as const;

const MAX_CAUSES = 4;

interface DatabaseErrorLike {
  code: string;
  severity: string;
  message: string;
  [key: string]: unknown;
}

/** pg's and PGlite's DatabaseError: a SQLSTATE and a severity. */
function isDatabaseError(error: unknown): error is DatabaseErrorLike {
  const { code, severity } = (error ?? {}) as Record<string, unknown>;
  return (
    typeof code === 'string' &&
    /^[0-9A-Z]{5}$/.test(code) &&
    typeof severity === 'string'
  );
}

function causesOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let current = error;
    current instanceof Error && chain.length < MAX_CAUSES;
    current = current.cause
  )
    chain.push(current);
  return chain;
}

/** The stack's frames only: the message lines above them are written separately, already made safe. */
function framesOf(error: Error, firstLine: string): string {
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line));
  return [firstLine, ...frames].join('\n');
}

/**
 * A database error's message without values: drizzle's names the statement and then lists its parameters, and
 * PostgreSQL's data exceptions (SQLSTATE class 22) quote the offending input.
 */
function safeMessage(error: Error): string {
  if (error instanceof DrizzleQueryError) return `Failed query: ${error.query}`;
  if (isDatabaseError(error) && error.code.startsWith('22'))
    return `data exception ${error.code} (message withheld: it quotes the input)`;
  return scrubString(error.message);
}

function describeLink(error: Error): Record<string, unknown> {
  const type = error.constructor?.name || error.name;
  const message = safeMessage(error);
  const link: Record<string, unknown> = {
    type,
    message,
    stack: framesOf(error, `${type}: ${message}`),
  };
  if (isDatabaseError(error)) {
    link.sqlstate = error.code;
    for (const field of NAMED_FIELDS)
      if (typeof error[field] === 'string') link[field] = error[field];
  }
  return link;
}

/**
 * A failed query is logged by what the database said (SQLSTATE, constraint, message) and the statement's text,
 * never by its parameters: on registration or a password change those are the email and the argon2 hash, and
 * PostgreSQL's own `detail` repeats the failing row. The first SQLSTATE in the chain is lifted to the top so a
 * line can be searched by it.
 */
function serializeDatabaseError(chain: Error[]): Record<string, unknown> {
  const links = chain.map(describeLink);
  for (let i = links.length - 1; i > 0; i -= 1) links[i - 1].cause = links[i];
  const top = links[0];
  const database = links.find((link) => link.sqlstate !== undefined);
  if (database && database !== top) {
    top.sqlstate = database.sqlstate;
    for (const field of NAMED_FIELDS)
      if (database[field] !== undefined) top[field] ??= database[field];
  }
  return top;
}

/**
 * pino's `err` serializer: database errors by their safe fields only; other errors scrubbed of tokens. pino-http
 * hands it pino's standard serialization of the error (the original under `raw`); a plain pino logger, which is
 * what nestjs-pino 4 logs through outside a request, hands it the Error itself, so that is serialized first.
 */
export function serializeError(
  value: SerializedError | Error,
): Record<string, unknown> {
  const error = (
    value instanceof Error ? stdSerializers.err(value) : value
  ) as SerializedError;
  const chain = causesOf(error.raw) as Error[];
  if (chain.some((e) => e instanceof DrizzleQueryError || isDatabaseError(e)))
    return serializeDatabaseError(chain);
  const { type, message, stack, ...rest } = error;
  return {
    type,
    message: scrubString(message ?? ''),
    stack: scrubString(stack ?? ''),
    ...(scrub(rest) as object),
  };
}
