'use strict';
// The raw argon2id rate at Gatehouse's parameters, measured in a process of its own: `concurrency` verifications
// in flight at once (as many as the benchmark's connections) for `seconds`, on libuv's thread pool like the app.
// Verify is what a login costs: it recomputes the hash with the parameters stored in it.
// Args: <seconds> <concurrency> <Gatehouse's built password.service.js, whose ARGON2_OPTIONS are used>.
// Prints { ops, seconds, rate, cpuUs (the process's CPU time per verification, every thread), options }.
require('reflect-metadata');
const { hash, verify } = require('@node-rs/argon2');

async function main() {
  const [seconds, concurrency, passwordModule] = process.argv.slice(2);
  const options = require(passwordModule).ARGON2_OPTIONS;
  const password = 'correct horse battery staple';
  const stored = await hash(password, options);
  const deadline =
    process.hrtime.bigint() + BigInt(Math.round(Number(seconds) * 1e9));
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let ops = 0;
  async function worker() {
    while (process.hrtime.bigint() < deadline) {
      if (!(await verify(stored, password)))
        throw new Error('argon2 verify failed');
      ops += 1;
    }
  }
  await Promise.all(Array.from({ length: Number(concurrency) }, worker));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(
    JSON.stringify({
      ops,
      seconds: elapsed,
      rate: ops / elapsed,
      cpuUs: (cpu.user + cpu.system) / ops,
      options,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
