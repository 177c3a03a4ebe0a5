// The load generator, in the CLI's process (pinned to the server's CPU): closed loop with autocannon (a fixed
// number of keep-alive connections, each sends its next request when the last one is answered), or at a
// fixed rate, open loop (open-loop.ts). Latency is recorded per response at microsecond resolution from
// autocannon's 'response' events (autocannon's own histogram keeps whole milliseconds).

import { createRequire } from 'node:module';
import { createHistogram } from 'node:perf_hooks';
import { runOpenLoop } from './open-loop';

interface AutocannonResult {
  duration: number;
  requests: { total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface AutocannonInstance {
  on(event: 'response', cb: (client: unknown, statusCode: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (
  opts: { url: string; connections: number; duration: number; pipelining: number },
  cb: (err: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

const autocannon = createRequire(__filename)('autocannon') as Autocannon;

export interface LoadSpec {
  connections: number;
  /** Requests per second, open loop over at most `connections`; 0: closed loop over `connections`. */
  rate: number;
  seconds: number;
}

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  non2xx: number;
  errors: number;
}

export function runLoad(url: string, spec: LoadSpec): Promise<LoadResult> {
  if (spec.rate > 0) return runOpenLoop(url, spec.rate, spec.seconds, spec.connections);
  const h = createHistogram();
  return new Promise((ok, ko) => {
    const inst = autocannon({ url, connections: spec.connections, duration: spec.seconds, pipelining: 1 }, (err, r) => {
      if (err) return ko(err);
      const ms = (p: number): number => Math.round(h.percentile(p) / 1e3) / 1e3;
      ok({
        requestsPerSec: Math.round(r.requests.total / r.duration),
        p50Ms: ms(50),
        p99Ms: ms(99),
        p999Ms: ms(99.9),
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
      });
    });
    inst.on('response', (_c, _s, _b, latencyMs) => h.record(Math.max(1, Math.round(latencyMs * 1e6))));
  });
}
