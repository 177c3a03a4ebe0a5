// How the service benchmark gives a main-thread profile's samples to the driver, the service, GC or other
// (bench/src/service/profile.ts): by the first driver or service frame from the sampled frame towards the root.

import { describe, expect, it } from 'vitest';
import { attribute } from '../src/service/profile';

const DRIVER = 'file:///repo/node_modules/cassandra-driver/lib/connection.js';
const SERVICE = 'file:///repo/bench/src/service/handler.ts';
const NODE = 'node:internal/stream_base_commons';
const LONG = 'file:///repo/node_modules/long/index.js';

/** A profile tree: [id, functionName, url, hitCount, children]. */
function profile(nodes: Array<[number, string, string, number, number[]]>) {
  return {
    nodes: nodes.map(([id, functionName, url, hitCount, children]) => ({ id, callFrame: { functionName, url }, hitCount, children })),
  };
}

describe('main-thread profile attribution', () => {
  const p = profile([
    [1, '(root)', '', 0, [2, 3, 4, 5, 8]],
    [2, '(idle)', '', 40, []],
    [3, '(garbage collector)', '', 6, []],
    // libuv -> Node's stream code -> the driver's socket handler -> Node's Buffer code: the driver's.
    [4, 'onStreamRead', NODE, 1, [6]],
    [6, 'handleData', DRIVER, 10, [7]],
    [7, 'readUInt32BE', 'node:buffer', 4, []],
    // The service's handler -> a third-party package it calls: the service's.
    [5, 'serveRequest', SERVICE, 20, [9]],
    [9, 'fromNumber', LONG, 5, []],
    // Node code with neither above it (the HTTP parser from libuv): other.
    [8, 'parserOnHeadersComplete', 'node:_http_common', 14, []],
  ]);
  const s = attribute(p, ['/node_modules/cassandra-driver/']);

  it('gives a sample to the nearest driver or service frame above it', () => {
    // driver: 10 + 4 (Buffer code under the driver's frame); service: 20 + 5 (long under the service's frame)
    expect(s.samples).toBe(100);
    expect(s.driver).toBeCloseTo(0.14);
    expect(s.service).toBeCloseTo(0.25);
  });

  it('keeps GC and idle apart, and the rest (Node code with no driver or service frame above) is other', () => {
    expect(s.gc).toBeCloseTo(0.06);
    expect(s.idle).toBeCloseTo(0.4);
    expect(s.other).toBeCloseTo(0.15); // onStreamRead's own sample and the HTTP parser's 14
  });

  it("reports the driver's share of the busy (non-idle) samples", () => {
    expect(s.driverOfBusy).toBeCloseTo(14 / 60);
  });
});
