/**
 * Prometheus adapter (optional; needs `prom-client`, a peer dependency): registers metric families whose
 * `collect` reads `getShardMetrics()` at scrape time, one series per (host, shard, worker) connection.
 * Nothing is counted on the request path: the shard workers' shared counters are the source of truth.
 *
 *   import * as prom from 'prom-client';
 *   import { registerShardMetrics } from '@shardcql/client/metrics/prometheus';
 *   registerShardMetrics(client, { registry: prom.register, promClient: prom });
 */
import type * as PromClient from 'prom-client';
import type { ShardMetrics } from './shard-metrics';

/** Anything with the client's `getShardMetrics()` (a Client, or the sharded engine). */
export interface ShardMetricsSource {
  getShardMetrics(): ShardMetrics[];
}

export interface PrometheusShardMetricsOptions {
  /** Default: prom-client's global registry. */
  registry?: PromClient.Registry;
  /** The prom-client module (default: `require('prom-client')`), e.g. when the app bundles its own copy. */
  promClient?: typeof PromClient;
  /** Metric name prefix; default 'shardcql_shard_'. */
  prefix?: string;
}

const LABELS = ['host', 'shard', 'worker'] as const;
type Label = (typeof LABELS)[number];

type Field = 'requests' | 'responses' | 'bytesSent' | 'bytesReceived' | 'socketWrites' | 'framesWritten';

const COUNTERS: Array<[string, Field, string]> = [
  ['requests_total', 'requests', 'Requests handed to the connection by its shard worker'],
  ['responses_total', 'responses', 'Answers received (server ERROR answers included)'],
  ['bytes_sent_total', 'bytesSent', 'Bytes written to the socket'],
  ['bytes_received_total', 'bytesReceived', 'Bytes read from the socket'],
  ['socket_writes_total', 'socketWrites', 'Socket writes (each carries one or more frames)'],
  ['frames_written_total', 'framesWritten', 'CQL messages written'],
];

const ERROR_KINDS: Array<[string, 'serverErrors' | 'timeouts' | 'connectionLost' | 'busy' | 'noConnection']> = [
  ['server', 'serverErrors'],
  ['timeout', 'timeouts'],
  ['connection_lost', 'connectionLost'],
  ['busy', 'busy'],
  ['no_connection', 'noConnection'],
];

function labelsOf(m: ShardMetrics): Record<Label, string> {
  return { host: m.host, shard: String(m.shard), worker: String(m.worker) };
}

const GAUGES: Array<[string, string, (m: ShardMetrics) => number]> = [
  ['in_flight', 'Requests waiting for an answer', (m) => m.inFlight],
  ['frames_per_write', 'Mean CQL messages per socket write since start (the coalescing factor)', (m) => m.framesPerWrite],
  ['up', '1 when the connection is open', (m) => (m.up ? 1 : 0)],
  ['ring_mean_batch', "Mean requests the owning worker's drains found in its rings (ring occupancy)", (m) => m.ringMeanBatch],
  ['ring_max_batch', 'Most requests one drain of the owning worker found', (m) => m.ringMaxBatch],
];

/** Registers the families; returns a function that unregisters them. */
export function registerShardMetrics(source: ShardMetricsSource, options: PrometheusShardMetricsOptions = {}): () => void {
  const prom: typeof PromClient = options.promClient ?? (require('prom-client') as typeof PromClient);
  const registry = options.registry ?? prom.register;
  const prefix = options.prefix ?? 'shardcql_shard_';

  // One read of the shared counters per scrape: every family's collect runs in the same tick.
  let snapshot: ShardMetrics[] | null = null;
  const read = (): ShardMetrics[] => {
    if (snapshot === null) {
      snapshot = source.getShardMetrics();
      setImmediate(() => {
        snapshot = null;
      });
    }
    return snapshot;
  };

  const names: string[] = [];
  for (const [suffix, field, help] of COUNTERS) {
    names.push(prefix + suffix);
    new prom.Counter<Label>({
      name: prefix + suffix,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect(this: PromClient.Counter<Label>) {
        this.reset();
        for (const m of read()) this.inc(labelsOf(m), m[field]);
      },
    });
  }
  names.push(`${prefix}errors_total`);
  new prom.Counter<Label | 'kind'>({
    name: `${prefix}errors_total`,
    help: 'Requests that failed, by kind (server ERROR, timeout, connection lost, busy, no connection)',
    labelNames: [...LABELS, 'kind'],
    registers: [registry],
    collect(this: PromClient.Counter<Label | 'kind'>) {
      this.reset();
      for (const m of read()) {
        const l = labelsOf(m);
        for (const [kind, field] of ERROR_KINDS) this.inc({ ...l, kind }, m[field]);
      }
    },
  });
  registerGauges(prom, registry, prefix, read, names);
  return () => {
    for (const n of names) registry.removeSingleMetric(n);
  };
}

/** The gauge families (in flight, coalescing, up, ring occupancy, latency quantiles); their names go to `names`. */
function registerGauges(
  prom: typeof PromClient,
  registry: PromClient.Registry,
  prefix: string,
  read: () => ShardMetrics[],
  names: string[],
): void {
  for (const [suffix, help, get] of GAUGES) {
    names.push(prefix + suffix);
    new prom.Gauge<Label>({
      name: prefix + suffix,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect(this: PromClient.Gauge<Label>) {
        this.reset();
        for (const m of read()) this.set(labelsOf(m), get(m));
      },
    });
  }
  names.push(`${prefix}latency_seconds`);
  new prom.Gauge<Label | 'quantile'>({
    name: `${prefix}latency_seconds`,
    help: 'Request latency in the shard worker (dispatch to answer) since start, by quantile',
    labelNames: [...LABELS, 'quantile'],
    registers: [registry],
    collect(this: PromClient.Gauge<Label | 'quantile'>) {
      this.reset();
      for (const m of read()) {
        const l = labelsOf(m);
        this.set({ ...l, quantile: '0.5' }, m.p50Us / 1e6);
        this.set({ ...l, quantile: '0.99' }, m.p99Us / 1e6);
        this.set({ ...l, quantile: '0.999' }, m.p999Us / 1e6);
      }
    },
  });
}
