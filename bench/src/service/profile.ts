// Where the service's main thread spends its time, from V8's sampling profiler started in-process (an
// inspector session on the main thread) for exactly the measured window. Each sample is given to the code
// that caused it: walking from the sampled frame towards the root, the first frame in the driver's files
// makes it the driver's, the first in the service's files (bench/src/service/) the service's. Frames of Node
// itself (http, net, streams, timers) and of third-party packages are skipped over, so a socket read the
// driver asked for is the driver's, an HTTP parse the service's (when no service or driver frame is on the
// stack at all: "other", e.g. the HTTP parser called from libuv, piscina's message handling). GC samples
// cannot be attributed and are their own share.

import { Session } from 'node:inspector';
import type { ServiceDriver } from './db';

/** Path pieces that mark a driver's code in a frame's URL. */
const DRIVER_PATHS: Record<ServiceDriver, readonly string[]> = {
  // The workspace packages (node_modules/@shardcql/* are symlinks to packages/*; V8 reports the real path).
  shardcql: ['/packages/'],
  'cassandra-driver': ['/node_modules/cassandra-driver/'],
  'scylladb-node': ['/.peers/scylladb-driver/'],
};
const SERVICE_PATH = '/bench/src/service/';

/** Shares of the window's samples (0..1); busy = 1 - idle. */
export interface MainThreadShares {
  samples: number;
  driver: number;
  service: number;
  gc: number;
  other: number;
  idle: number;
  /** The driver's share of the busy (non-idle) samples. */
  driverOfBusy: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
}

const DRIVER = 0;
const SERVICE = 1;
const GC = 2;
const OTHER = 3;
const IDLE = 4;
const UNDECIDED = -1;

export class MainThreadProfiler {
  private readonly session = new Session();

  constructor(private readonly driver: ServiceDriver) {
    this.session.connect();
  }

  private post<T>(method: string, params?: Record<string, unknown>): Promise<T> {
    return new Promise((ok, ko) => this.session.post(method, params ?? {}, (e, r) => (e ? ko(e) : ok(r as T))));
  }

  async start(intervalUs = 1000): Promise<void> {
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.post('Profiler.start');
  }

  async stop(): Promise<MainThreadShares> {
    const { profile } = await this.post<{ profile: Profile }>('Profiler.stop');
    await this.post('Profiler.disable');
    return attribute(profile, DRIVER_PATHS[this.driver]);
  }
}

/** Splits a profile's samples into driver / service / gc / other / idle (see the header). */
export function attribute(profile: Profile, driverPaths: readonly string[]): MainThreadShares {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const own = (n: ProfileNode): number => {
    const { functionName, url } = n.callFrame;
    if (functionName === '(garbage collector)') return GC;
    if (functionName === '(idle)') return IDLE;
    if (functionName === '(program)' || functionName === '(root)') return OTHER;
    if (driverPaths.some((p) => url.includes(p))) return DRIVER;
    if (url.includes(SERVICE_PATH)) return SERVICE;
    return UNDECIDED;
  };
  const memo = new Map<number, number>();
  const categoryOf = (id: number): number => {
    const path: number[] = [];
    let cur: number | undefined = id;
    let cat = OTHER;
    while (cur !== undefined) {
      const known = memo.get(cur);
      if (known !== undefined) {
        cat = known;
        break;
      }
      path.push(cur);
      const c = own(byId.get(cur)!);
      if (c !== UNDECIDED) {
        cat = c;
        break;
      }
      cur = parent.get(cur);
    }
    for (const p of path) memo.set(p, cat);
    return cat;
  };
  const counts = [0, 0, 0, 0, 0];
  for (const n of profile.nodes) if (n.hitCount) counts[categoryOf(n.id)]! += n.hitCount;
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const busy = total - counts[IDLE]! || 1;
  return {
    samples: total,
    driver: counts[DRIVER]! / total,
    service: counts[SERVICE]! / total,
    gc: counts[GC]! / total,
    other: counts[OTHER]! / total,
    idle: counts[IDLE]! / total,
    driverOfBusy: counts[DRIVER]! / busy,
  };
}
