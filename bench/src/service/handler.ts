// What one request of the service does, on whichever thread serves it (the main thread, or a piscina
// thread): a read, the request's CPU work, then the rest of its queries (a write, a second read).

import { cpuWork } from './cpu-work';
import type { ServiceDb } from './db';

/** The request's shape: CPU units (cpu-work.ts) and 1-3 prepared queries. */
export interface RequestShape {
  units: number;
  queries: number;
}

/** Serves request `pk`; the result is the response body's number. */
export async function serveRequest(db: ServiceDb, shape: RequestShape, pk: number): Promise<number> {
  let n = await db.select(pk);
  n += cpuWork(shape.units, pk);
  if (shape.queries >= 2) await db.insert(pk);
  if (shape.queries >= 3) n += await db.select(pk + 1);
  return n;
}
