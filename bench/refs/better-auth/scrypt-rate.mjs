// The raw scrypt rate at Better Auth's parameters, in a process of its own, as bench/lib/argon2-rate.js measures
// argon2id for Gatehouse: `concurrency` verifications in flight for `seconds`, through the very verifyPassword
// Better Auth's sign-in calls (node:crypto scrypt on libuv's thread pool). Args: <seconds> <concurrency>.
// Prints { ops, seconds, rate, cpuUs (the process's CPU time per verification, every thread), options }.
import { hashPassword, verifyPassword } from 'better-auth/crypto';

// @better-auth/utils 0.5.1's password.node.mjs; not exported, so written out here for the report.
const OPTIONS = { algorithm: 'scrypt', N: 16384, r: 16, p: 1, dkLen: 64 };

const [seconds, concurrency] = process.argv.slice(2).map(Number);
const password = 'correct horse battery staple';
const hash = await hashPassword(password);
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const deadline = started + BigInt(Math.round(seconds * 1e9));
let ops = 0;
async function worker() {
  while (process.hrtime.bigint() < deadline) {
    if (!(await verifyPassword({ hash, password })))
      throw new Error('scrypt verify failed');
    ops += 1;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(
  JSON.stringify({
    ops,
    seconds: elapsed,
    rate: ops / elapsed,
    cpuUs: (cpu.user + cpu.system) / ops,
    options: OPTIONS,
  }),
);
