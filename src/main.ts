import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { InvalidEnvironmentError, parseEnv } from './config/env.schema';
import { createApp } from './setup-app';

async function bootstrap(): Promise<void> {
  const env = parseEnv();
  const app = await createApp();
  await app.listen(env.PORT, env.HOST);
  const scheme = env.TLS_CERT_FILE ? 'https' : 'http';
  new Logger('Gatehouse').log(
    `listening on ${scheme}://${env.HOST}:${env.PORT} (docs at /docs)`,
  );
}

bootstrap().catch((error: unknown) => {
  // One readable line, no stack, for configuration mistakes; a stack for anything unexpected.
  const message =
    error instanceof InvalidEnvironmentError
      ? error.message
      : `Gatehouse failed to start: ${(error as Error)?.stack ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
