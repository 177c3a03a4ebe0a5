// CPU time of this process's main thread, which process.cpuUsage() (all threads) cannot give.

import { readFileSync } from 'node:fs';

/** CPU time of the main thread (tid == pid) in µs: schedstat's ns when present, else stat ticks. */
export function mainThreadCpuUs(): number {
  const base = `/proc/self/task/${process.pid}`;
  try {
    return Number(readFileSync(`${base}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    // stat fields 14 and 15 (utime, stime) in clock ticks (CLK_TCK 100 on Linux). The command
    // name may hold spaces, so count fields after the closing parenthesis.
    const s = readFileSync(`${base}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  }
}
