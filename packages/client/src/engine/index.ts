// The engine: how requests reach the servers. The facade (client.ts) talks only to this surface.
export { EngineAnswer, type Engine, type EngineHost, type EngineOptions } from './engine';
export { EngineRequest, type RoutingInfo } from './request';
export { ShardedEngine, reviveError } from './sharded-engine';
export { RingRequester, type RequesterDescriptor, type WorkerRings } from './ring-requester';

import type { Engine, EngineOptions } from './engine';
import { ShardedEngine } from './sharded-engine';

export function createEngine(options: EngineOptions): Engine {
  return new ShardedEngine(options);
}
