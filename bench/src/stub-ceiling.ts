// The stub's own ceiling: a trivial load client with no driver in the way. Several raw TCP
// connections each keep a deep pipeline of pre-built EXECUTE frames (the benchmark's prepared
// INSERT, or SELECT) in flight, refilling exactly as many as came back, and only count responses.
// If this is far above what any driver reaches, the stub is not the benchmark's bottleneck.
//   npm run bench:stub-ceiling -- [--connections 4] [--depth 4096] [--seconds 5] [--workload inserts|selects]
//                                 [--host H --port P (an already running stub)] [--no-pin]

import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { INSERT_CQL, SELECT_CQL } from './drivers/driver';
import { startStub, type StubProcess } from '../../test/simulator/stub';

const OP_STARTUP = 0x01;
const OP_PREPARE = 0x09;
const OP_EXECUTE = 0x0a;
const OP_RESULT = 0x08;
const HEADER = 9;

function envelope(stream: number, opcode: number, body: Buffer): Buffer {
  const b = Buffer.alloc(HEADER + body.length);
  b[0] = 4;
  b.writeInt16BE(stream, 2);
  b[4] = opcode;
  b.writeUInt32BE(body.length, 5);
  body.copy(b, HEADER);
  return b;
}

function startupBody(): Buffer {
  const k = Buffer.from('CQL_VERSION');
  const v = Buffer.from('3.0.0');
  const b = Buffer.alloc(2 + 2 + k.length + 2 + v.length);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(k.length, 2);
  k.copy(b, 4);
  b.writeUInt16BE(v.length, 4 + k.length);
  v.copy(b, 6 + k.length);
  return b;
}

function prepareBody(q: string): Buffer {
  const s = Buffer.from(q);
  const b = Buffer.alloc(4 + s.length);
  b.writeInt32BE(s.length, 0);
  s.copy(b, 4);
  return b;
}

// EXECUTE (v4 section 4.1.6): id, consistency ONE, flags values|skip_metadata, n bigint values.
function executeBody(id: Buffer, pk: bigint, nValues: number): Buffer {
  const b = Buffer.alloc(2 + id.length + 2 + 1 + 2 + nValues * 12);
  let p = b.writeUInt16BE(id.length, 0);
  p += id.copy(b, p);
  p = b.writeUInt16BE(1, p);
  p = b.writeUInt8(0x03, p);
  p = b.writeUInt16BE(nValues, p);
  for (let i = 1; i <= nValues; i++) {
    p = b.writeInt32BE(8, p);
    p = b.writeBigInt64BE(pk * BigInt(i), p);
  }
  return b;
}

/** Sends one request and resolves with the body of the single response. */
function roundTrip(sock: Socket, frame: Buffer): Promise<{ opcode: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    let acc = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      acc = Buffer.concat([acc, d]);
      if (acc.length < HEADER) return;
      const len = acc.readUInt32BE(5);
      if (acc.length < HEADER + len) return;
      sock.off('data', onData);
      resolve({ opcode: acc[4]!, body: acc.subarray(HEADER, HEADER + len) });
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(frame);
  });
}

class LoadConnection {
  completed = 0;
  private pending = 0; // bytes of the current response still to skip
  private partial = Buffer.alloc(HEADER);
  private partialLen = 0;
  private sendFrame = 0;
  private running = true;

  constructor(
    private readonly sock: Socket,
    private readonly frames: Buffer,
    private readonly frameLen: number,
    private readonly depth: number,
  ) {}

  start(): void {
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.send(this.depth);
  }

  stop(): void {
    this.running = false;
  }

  private send(n: number): void {
    if (!this.running || n === 0) return;
    const total = this.depth;
    while (n > 0) {
      const k = Math.min(n, total - this.sendFrame);
      this.sock.write(this.frames.subarray(this.sendFrame * this.frameLen, (this.sendFrame + k) * this.frameLen));
      this.sendFrame = (this.sendFrame + k) % total;
      n -= k;
    }
  }

  // Counts whole responses; only the headers are read.
  private onData(d: Buffer): void {
    let p = 0;
    let done = 0;
    while (p < d.length) {
      if (this.pending > 0) {
        const k = Math.min(this.pending, d.length - p);
        this.pending -= k;
        p += k;
        if (this.pending === 0) done++;
        continue;
      }
      const k = Math.min(HEADER - this.partialLen, d.length - p);
      d.copy(this.partial, this.partialLen, p, p + k);
      this.partialLen += k;
      p += k;
      if (this.partialLen < HEADER) break;
      this.partialLen = 0;
      this.pending = this.partial.readUInt32BE(5);
      if (this.pending === 0) done++;
    }
    this.completed += done;
    this.send(done);
  }
}

function procCpuMs(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, CLK_TCK 100
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
  };
  const connections = Number(opt('--connections', '4'));
  const depth = Math.min(32768, Number(opt('--depth', '4096')));
  const seconds = Number(opt('--seconds', '5'));
  const workload = opt('--workload', 'inserts');
  const pin = !argv.includes('--no-pin');
  // The load client on CPU 0 (all its threads), the stub on CPU 1, as in the benchmark.
  if (pin) execFileSync('taskset', ['-acp', '0', String(process.pid)], { stdio: 'ignore' });
  let stub: StubProcess | null = null;
  let host = opt('--host', '');
  let port = Number(opt('--port', '0'));
  if (host === '') {
    stub = await startStub({ host: '127.0.0.1', port: 0, cpu: pin ? 1 : undefined });
    host = stub.host;
    port = stub.port;
  }
  const conns: LoadConnection[] = [];
  const sockets: Socket[] = [];
  try {
    for (let c = 0; c < connections; c++) {
      const sock = connect({ host, port, noDelay: true });
      await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
      sockets.push(sock);
      const ready = await roundTrip(sock, envelope(0, OP_STARTUP, startupBody()));
      if (ready.opcode !== 0x02) throw new Error(`STARTUP answered with opcode ${ready.opcode}`);
      const q = workload === 'selects' ? SELECT_CQL : INSERT_CQL;
      const prep = await roundTrip(sock, envelope(0, OP_PREPARE, prepareBody(q)));
      if (prep.opcode !== OP_RESULT || prep.body.readInt32BE(0) !== 4) throw new Error('PREPARE failed');
      const id = prep.body.subarray(6, 6 + prep.body.readUInt16BE(4));
      const nValues = workload === 'selects' ? 1 : 3;
      const one = envelope(0, OP_EXECUTE, executeBody(id, 12345n, nValues));
      const frames = Buffer.alloc(one.length * depth);
      for (let i = 0; i < depth; i++) {
        one.copy(frames, i * one.length);
        frames.writeInt16BE(i, i * one.length + 2);
      }
      conns.push(new LoadConnection(sock, frames, one.length, depth));
    }
    for (const c of conns) c.start();
    await new Promise((r) => setTimeout(r, 500)); // ramp up
    const count = (): number => conns.reduce((s, c) => s + c.completed, 0);
    const n0 = count();
    const cpu0 = stub ? procCpuMs(stub.pid) : 0;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const n1 = count();
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = stub ? procCpuMs(stub.pid) : 0;
    for (const c of conns) c.stop();
    const ops = n1 - n0;
    const opsPerSec = Math.round(ops / elapsed);
    const result: Record<string, unknown> = { workload, connections, depth, seconds: Math.round(elapsed * 100) / 100, opsPerSec };
    if (stub) {
      const cpuMs = cpu1 - cpu0;
      result['stubCpuPercent'] = Math.round((cpuMs / 10 / elapsed) * 10) / 10;
      result['stubCpuUsPerOp'] = Math.round(((cpuMs * 1000) / ops) * 1000) / 1000;
      result['pinned'] = pin ? 'load client CPU 0, stub CPU 1' : 'no';
    }
    console.log(`stub ceiling (${workload}, ${connections} connections x ${depth} in flight): ${opsPerSec} ops/s`);
    console.log(JSON.stringify(result));
  } finally {
    for (const s of sockets) s.destroy();
    if (stub) await stub.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
