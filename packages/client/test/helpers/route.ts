// Routing one request as the engine's send does (engine.route(req): routing/router.ts), from a test: the
// token, the pinned host and LWT as arguments, the keyspace and table (RoutingInfo) set per engine by routeBy.
import { EngineRequest } from '../../src/engine/request';

interface Routable {
  route(req: EngineRequest): number;
}

const routing = new WeakMap<object, { keyspace: string | null; table: string | null }>();
/** One request for every call: route() reads it synchronously (and the allocation tests count no garbage). */
const req = new EngineRequest();

/** Requests routed for `engine` from now on name this keyspace (null: the session keyspace) and table. */
export function routeBy(engine: object, keyspace: string | null, table: string | null = null): void {
  routing.set(engine, { keyspace, table });
}

/** The connection engine.route picks for a request with this token, pinned host (-1: none) and LWT flag. */

export function route(engine: Routable, tokenHi: number, tokenLo: number, hasToken: boolean, hostIndex: number, lwt = false): number {
  const r = routing.get(engine);
  req.setToken(hasToken, tokenHi, tokenLo);
  req.hostIndex = hostIndex;
  req.lwt = lwt;
  req.keyspace = r !== undefined ? r.keyspace : null;
  req.table = r !== undefined ? r.table : null;
  return engine.route(req);
}
