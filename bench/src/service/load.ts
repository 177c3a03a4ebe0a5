// The load generator: autocannon (in the CLI's process, pinned to the server CPU), either closed-loop (a
// fixed number of connections, each sends its next request when the last one is answered) or at a fixed
// rate (autocannon's overallRate spread over the connections). Latency is recorded per response at
// microsecond resolution from autocannon's 'response' events (autocannon's own histogram keeps whole ms).
// At a fixed rate a response later than the connection's next send time delays that send (autocannon is
// not strictly open-loop): the achieved rate is reported next to the target, and a run that falls short
// of it measured a saturated service.

import { createRequire } from 'node:module';
import { createHistogram } from 'node:perf_hooks';

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
  opts: { url: string; connections: number; duration: number; overallRate?: number; pipelining: number },
  cb: (err: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

const autocannon = createRequire(__filename)('autocannon') as Autocannon;

export interface LoadSpec {
  connections: number;
  /** Requests per second over all connections; 0: closed loop. */
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
  const h = createHistogram();
  return new Promise((ok, ko) => {
    const inst = autocannon(
      { url, connections: spec.connections, duration: spec.seconds, pipelining: 1, ...(spec.rate > 0 ? { overallRate: spec.rate } : {}) },
      (err, r) => {
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
      },
    );
    inst.on('response', (_c, _s, _b, latencyMs) => h.record(Math.max(1, Math.round(latencyMs * 1e6))));
  });
}
