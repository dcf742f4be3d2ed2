import { Logger as NestLogger, Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { LoggerModule, type Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { LOG_DESTINATION } from './log-destination';
import { loggingConfig } from 'src/config/logging.config';
import { pinoHttpOptions } from './pino-options';

/** pino-pretty is a dev dependency: a production install asked for pretty logs falls back to JSON. */
function prettyStream(): DestinationStream | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (
      options: Record<string, unknown>,
    ) => DestinationStream;
    return pretty({
      colorize: process.stdout.isTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    });
  } catch {
    new NestLogger('Logging').warn(
      'LOG_FORMAT=pretty needs the pino-pretty package; logging JSON instead',
    );
    return undefined;
  }
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      imports: [ConfigModule.forFeature(loggingConfig)],
      providers: [{ provide: LOG_DESTINATION, useValue: null }],
      inject: [loggingConfig.KEY, LOG_DESTINATION],
      useFactory: (
        config: ConfigType<typeof loggingConfig>,
        destination: DestinationStream | null,
      ): Params => {
        const options = pinoHttpOptions(config.level);
        const stream =
          destination ??
          (config.format === 'pretty' ? prettyStream() : undefined);
        return {
          pinoHttp: stream ? [options, stream] : options,
          // No pino-http middleware on any route: installRequestLog writes the per-request line (see there why).
          forRoutes: [],
        };
      },
    }),
  ],
})
export class LoggingModule {}
