// Shared by the connection tests (this package's and the client's): Connection.send's descriptor from positional
// arguments, a port that refuses connections, and minimal worker connection options.
import * as net from 'node:net';
import { OutgoingRequest, type WorkerConnectionOptions } from '../../src';

/** Connection.send's descriptor, filled from positional arguments (one shared instance: send copies it). */
const sendDescriptor = new OutgoingRequest();
export function req(
  tag: number,
  opcode: number,
  flags: number,
  body: Uint8Array,
  start: number,
  end: number,
  timeoutMs: number,
): OutgoingRequest {
  const r = sendDescriptor;
  r.tag = tag;
  r.opcode = opcode;
  r.flags = flags;
  r.body = body;
  r.start = start;
  r.end = end;
  r.timeoutMs = timeoutMs;
  return r;
}

/** A port that refuses connections: listened on, then closed (nothing else of the test takes it). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Worker connection options with no keyspace, TLS, auth, compression or heartbeats. */
export function plainOptions(): WorkerConnectionOptions {
  return {
    maxProtocolVersion: 5,
    keyspace: null,
    connectTimeoutMs: 2000,
    heartbeatIntervalMs: 0,
    coalescingThreshold: 65536,
    compression: 'none',
    credentials: null,
    tls: null,
    startupOptions: {},
  };
}

/** Gaps between consecutive times (ms). */
export function gaps(times: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < times.length; i++) out.push(times[i]! - times[i - 1]!);
  return out;
}
