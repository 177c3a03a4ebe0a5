/**
 * The request tracker's calls (cassandra-driver `tracker.RequestTracker`): one per request sent to a node,
 * with the query as the tracker expects it (a batch as `[{query, params}]`, prepared entries by their text).
 * Only made when `options.requestTracker` is set; a tracker that throws is logged, never the request's failure.
 */
import type { RequestTracker, TrackedQuery } from '../tracker/request-tracker';
import type { ClientContext } from './context';
import type { PrepareHandler } from './prepare';
import { RequestKind, type Request } from './request';

export class Tracking {
  constructor(
    private readonly ctx: ClientContext,
    private readonly tracker: RequestTracker,
    private readonly prepare: PrepareHandler,
  ) {}

  success(req: Request, address: string, responseLength: number): void {
    try {
      this.tracker.onSuccess(
        this.ctx.hosts.get(address) ?? { address },
        this.query(req),
        params(req),
        req.eo,
        req.requestLength,
        responseLength,
        process.hrtime(req.started!),
      );
    } catch (err) {
      this.ctx.log('warning', 'The request tracker threw from onSuccess', err);
    }
  }

  error(req: Request, address: string | undefined, error: Error): void {
    try {
      const host = address !== undefined ? (this.ctx.hosts.get(address) ?? { address }) : { address: 'unknown' };
      this.tracker.onError(host, this.query(req), params(req), req.eo, req.requestLength, error, process.hrtime(req.started!));
    } catch (err) {
      this.ctx.log('warning', 'The request tracker threw from onError', err);
    }
  }

  /** A batch as cassandra-driver hands it to trackers: `[{query, params}]`, prepared ones by their text. */
  private query(req: Request): TrackedQuery {
    const entries = req.entries;
    if (req.kind !== RequestKind.Batch || entries === null) return req.query;
    return entries.map((e) => ({
      query: e.query ?? (e.id !== null ? (this.prepare.byId(e.id as Buffer)?.query ?? '') : ''),
      params: e.values ?? undefined,
    }));
  }
}

/** The parameters a tracker sees: the values, or `{name: value}` for named values of a simple statement. */
function params(req: Request): unknown {
  if (req.kind === RequestKind.Batch) return undefined;
  const names = req.names;
  const values = req.values;
  if (names === null || values === null) return values;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) out[names[i]!] = values[i];
  return out;
}
