'use strict';
// Which CPUs the servers and the load generator run on. With taskset and at least two CPUs in the bench's affinity
// list, the load generator (bench/lib/load-worker.js) gets the last CPU and every server process (Gatehouse, the
// references, Better Auth, the PostgreSQL proxy, the raw hash-rate processes) the others: on a 2-core machine,
// servers on CPU 0 and autocannon on CPU 1. Without taskset, with one CPU, or with --no-pin, nothing is pinned.
// PostgreSQL itself is a system service and is never pinned: it runs wherever the kernel puts it.
const { spawnSync } = require('node:child_process');

let plan;

/** The CPUs this process may run on, from `taskset -pc`, or undefined when taskset is not there. */
function affinityList() {
  const out = spawnSync('taskset', ['-pc', String(process.pid)], {
    encoding: 'utf8',
  });
  if (out.status !== 0) return undefined;
  const list = /list:\s*(\S+)/.exec(out.stdout)?.[1];
  if (!list) return undefined;
  return list.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

/** Decides the plan once per run; `enabled` is false with --no-pin. */
function configurePinning(enabled) {
  const cpus = enabled ? affinityList() : undefined;
  if (!enabled) plan = { note: 'no CPU pinning (--no-pin)' };
  else if (!cpus) plan = { note: 'no CPU pinning (taskset not available)' };
  else if (cpus.length < 2)
    plan = { note: `no CPU pinning (one CPU available: ${cpus.join(',')})` };
  else {
    const load = String(cpus[cpus.length - 1]);
    const servers = cpus.slice(0, -1).join(',');
    plan = {
      servers,
      load,
      note: `servers on CPU ${servers}, load generator on CPU ${load} (taskset); PostgreSQL not pinned`,
    };
  }
  return plan;
}

/** `[command, args]` that run `node <args…>` on the CPUs of `role` ('server' or 'load'). */
function pinnedNode(role, args) {
  const cpus = role === 'load' ? plan?.load : plan?.servers;
  return cpus
    ? ['taskset', ['-c', cpus, process.execPath, ...args]]
    : [process.execPath, args];
}

module.exports = { configurePinning, pinnedNode };
