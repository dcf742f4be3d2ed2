import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppModule } from './app.module';
import { RegisterDto } from './auth/dto/register.dto';
import { InvalidEnvironmentError, parseEnv } from './config/env.schema';
import { PASSWORD_MAX, passwordLengthAllowed } from './config/password-policy';
import { FirstAdminService } from './users/first-admin.service';
import { UserAlreadyExistsError } from './users/users.errors';

const USAGE = `Usage: npm run cli -- create-admin --username NAME --email EMAIL

Creates an admin account in the database DATABASE_URL (or DATA_DIR) points at.
The password is read from stdin when it is piped (one line), or prompted for without echo on a terminal.`;

/** A failure the operator can fix; printed as one line without a stack. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

async function readPipedPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // Only the line terminator is stripped: spaces may be part of a passphrase.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Reads one line from the terminal in raw mode so the password is never echoed. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let value = '';
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (error?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (input: string): void => {
      for (const char of input) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004')
          return finish(new CliError('cancelled', 130));
        if (char === '\u007f' || char === '\b')
          value = [...value].slice(0, -1).join('');
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readPipedPassword();
  const first = await promptHidden('Password: ');
  const again = await promptHidden('Repeat password: ');
  if (first !== again) throw new CliError('the passwords do not match');
  return first;
}

async function checkInput(
  input: RegisterDto,
  minPasswordLength: number,
): Promise<void> {
  const errors = await validate(plainToInstance(RegisterDto, input), {
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  });
  const messages = errors.flatMap((e) => Object.values(e.constraints ?? {}));
  if (!passwordLengthAllowed(input.password, minPasswordLength))
    messages.push(
      `password must be between ${minPasswordLength} and ${PASSWORD_MAX} characters`,
    );
  if (messages.length > 0) throw new CliError(messages.join('; '));
}

async function createAdmin(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      username: { type: 'string' },
      email: { type: 'string' },
    },
    strict: true,
  });
  if (!values.username || !values.email)
    throw new CliError(`--username and --email are required\n\n${USAGE}`, 2);
  const env = parseEnv();
  const password = await readPassword();
  const input = { username: values.username, email: values.email, password };
  await checkInput(input, env.PASSWORD_MIN_LENGTH);

  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: ['fatal', 'error'],
    abortOnError: false,
  });
  try {
    const admin = await app.get(FirstAdminService).createAdmin(input);
    process.stdout.write(
      `created admin ${admin.username} <${admin.email}> (id ${admin.id})\n`,
    );
  } catch (error) {
    if (error instanceof UserAlreadyExistsError)
      throw new CliError(
        `an account with username "${input.username}" or email "${input.email}" already exists; no admin was created`,
      );
    throw error;
  } finally {
    await app.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'create-admin') return createAdmin(rest);
  if (command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  throw new CliError(`unknown command "${command}"\n\n${USAGE}`, 2);
}

main(process.argv.slice(2)).then(
  // Exit explicitly: the database pool or a Redis client could otherwise keep the process alive.
  () => process.exit(0),
  (error: unknown) => {
    const usage = (error as { code?: string })?.code?.startsWith(
      'ERR_PARSE_ARGS',
    );
    const known =
      usage ||
      error instanceof CliError ||
      error instanceof InvalidEnvironmentError;
    process.stderr.write(
      known
        ? `gatehouse: ${(error as Error).message}\n`
        : `gatehouse: ${(error as Error)?.stack ?? String(error)}\n`,
    );
    process.exit(error instanceof CliError ? error.exitCode : usage ? 2 : 1);
  },
);
