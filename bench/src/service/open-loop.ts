// The fixed-rate load: requests sent on a uniform schedule (request i at t0 + i/rate) whatever the service's
// answers, each on a free one of `connections` keep-alive connections, and each latency counted from
// the request's scheduled time, so a stalled service is charged for every request it delayed (no coordinated
// omission, as wrk2 does). autocannon's overallRate cannot do this: it gives each connection a quota per
// second that it sends closed-loop, as fast as answers come, then pauses until the next second, so the load
// arrives in one burst a second.

import { Agent, get } from 'node:http';
import { createHistogram, performance } from 'node:perf_hooks';
import type { LoadResult } from './load';

export function runOpenLoop(url: string, rate: number, seconds: number, connections: number): Promise<LoadResult> {
  // At most `connections` sockets, kept open: a request due while all are busy waits in the agent's queue (its
  // wait counts in its latency), rather than opening a connection in the middle of a stall.
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const h = createHistogram();
  const total = Math.round(rate * seconds);
  let sent = 0;
  let answered = 0;
  let non2xx = 0;
  let errors = 0;
  let lastAnswerMs = 0;
  const t0 = performance.now();
  return new Promise((ok) => {
    const finish = (): void => {
      agent.destroy();
      const ms = (p: number): number => Math.round(h.percentile(p) / 1e3) / 1e3;
      ok({
        requestsPerSec: Math.round(answered / ((lastAnswerMs - t0) / 1000)),
        p50Ms: ms(50),
        p99Ms: ms(99),
        p999Ms: ms(99.9),
        non2xx,
        errors,
      });
    };
    const settle = (scheduledMs: number, status: number): void => {
      const now = performance.now();
      lastAnswerMs = now;
      if (status < 200 || status > 299) non2xx++;
      h.record(Math.max(1, Math.round((now - scheduledMs) * 1e6)));
      if (++answered + errors === total) finish();
    };
    const send = (scheduledMs: number): void => {
      get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => settle(scheduledMs, res.statusCode ?? 0));
      }).on('error', () => {
        if (answered + ++errors === total) finish();
      });
    };
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (sent < due) send(t0 + (sent++ * 1000) / rate);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}
