// The service's own CPU work per request: JSON encode/decode of a small document and a SHA-256 of it, in
// fixed units. The number of units for a target CPU time is measured once per benchmark invocation (on the
// service's CPU, in CPU time) and given to every service process, so every driver's service does the same
// work per request.

import { createHash } from 'node:crypto';

/** One document per thread, reused: the work is the encoding, not building the object. */
const doc = {
  id: 0,
  user: 'user-0000000000',
  email: 'someone@example.com',
  tags: ['alpha', 'beta', 'gamma', 'delta', 'epsilon'],
  scores: [1.5, 2.25, 3.125, 4.0625, 5.03125, 6.015625],
  address: { street: '1 Main Street', city: 'Springfield', zip: '12345', country: 'XX' },
  active: true,
};

/** Runs `units` units of work; returns a value derived from all of them (so none is optimised away). */
export function cpuWork(units: number, seed: number): number {
  let acc = 0;
  for (let i = 0; i < units; i++) {
    doc.id = seed + i;
    const text = JSON.stringify(doc);
    const back = JSON.parse(text) as { id: number };
    acc += back.id + createHash('sha256').update(text).digest()[0]!;
  }
  return acc;
}

/**
 * CPU microseconds per unit: the median of `trials` batches timed by the process's CPU time (getrusage, exact),
 * not the clock, so other processes sharing the CPU do not stretch it (the calibration child runs nothing else).
 */
export function microsPerUnit(trials = 21, batch = 3000): number {
  cpuWork(batch, 0);
  const perUnit: number[] = [];
  for (let t = 0; t < trials; t++) {
    const c0 = process.cpuUsage();
    cpuWork(batch, t);
    const c = process.cpuUsage(c0);
    perUnit.push((c.user + c.system) / batch);
  }
  perUnit.sort((a, b) => a - b);
  return perUnit[perUnit.length >> 1]!;
}

// `node --import tsx cpu-work.ts` (pinned to the service's CPU by the CLI): prints the µs per unit.
if (require.main === module) process.stdout.write(`${JSON.stringify({ usPerUnit: microsPerUnit() })}\n`);
