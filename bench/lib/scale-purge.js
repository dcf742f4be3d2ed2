'use strict';
// Runs Gatehouse's own purge jobs on demand, in a process of its own: the build's AppModule as an application
// context (as `npm run cli` does), then SessionPurgeService.purge() (ended sessions, rotation successors,
// expired revocations) and AuditService.purgeExpired() (audit retention), exactly the methods the app's
// intervals call. Arg: <dist>. The parent sends 'purge' and hears { sessions, audit } with counts and seconds.
require('reflect-metadata');
const { join } = require('node:path');
const { NestFactory } = require('@nestjs/core');

async function main() {
  const [dist] = process.argv.slice(2);
  const { AppModule } = require(join(dist, 'app.module'));
  const { SessionPurgeService } = require(
    join(dist, 'sessions/session-purge.service'),
  );
  const { AuditService } = require(join(dist, 'audit/audit.service'));
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: ['fatal', 'error'],
    abortOnError: false,
  });
  const seconds = async (fn) => {
    const started = process.hrtime.bigint();
    const counts = await fn();
    return {
      counts,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  };
  process.on('message', (message) => {
    if (message !== 'purge') return;
    (async () => {
      const sessions = await seconds(() =>
        app.get(SessionPurgeService).purge(),
      );
      const audit = await seconds(() => app.get(AuditService).purgeExpired());
      process.send({ sessions, audit });
    })().catch((error) => {
      process.stderr.write(`${error.stack}\n`);
      process.exit(1);
    });
  });
  process.on('disconnect', () => {
    void app.close().finally(() => process.exit(0));
  });
  process.send({ ready: true });
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
