// Quick engine-only throughput probe (no facade): PREPARE the bench INSERT, then EXECUTE at a fixed concurrency.
import {
  ByteWriter,
  Long,
  consistencies,
  decodeResult,
  defaultCodecOptions,
  encodeExecute,
  encodePrepare,
  newQueryParameters,
  opcodes,
  dataTypes,
} from '@shardcql/core';
import { EngineRequest, ShardedEngine } from '@shardcql/client/engine';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 9042);
const concurrency = Number(process.argv[4] ?? 1024);
const ops = Number(process.argv[5] ?? 200000);
const workers = Number(process.argv[6] ?? 1);

async function main(): Promise<void> {
  const e = new ShardedEngine({
    contactPoints: [host],
    port,
    localDataCenter: null,
    keyspace: null,
    credentials: null,
    sslOptions: null,
    compression: 'none',
    workers,
    connectionsPerHost: 0,
    maxProtocolVersion: 5,
    connectTimeoutMs: 5000,
    heartbeatIntervalMs: 30000,
    coalescingThreshold: 65536,
    maxRequestsPerConnection: 32768,
    applicationName: null,
    applicationVersion: null,
    clientId: null,
  });
  await e.connect();
  const w = new ByteWriter(256);
  encodePrepare(w, e.protocolVersion, 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)', null);
  const body = w.toBuffer();
  const pr = await e.send(EngineRequest.of(opcodes.prepare, body, body.length, 5000));
  const prepared = decodeResult(pr.body, 0, pr.body.length, e.protocolVersion, defaultCodecOptions(), null);
  if (prepared.kind !== 4) throw new Error('not prepared: opcode ' + pr.opcode);
  const p = newQueryParameters();
  p.consistency = consistencies.one;
  const bt = { code: dataTypes.bigint, info: null };
  p.valueTypes = [bt, bt, bt];
  const vals: unknown[] = [0, 0, 0];
  p.values = vals;
  p.skipMetadata = true;
  const codec = defaultCodecOptions();
  let next = 0;
  let done = 0;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  async function loop(): Promise<void> {
    while (next < ops) {
      const k = next++;
      vals[0] = k;
      vals[1] = 2 * k;
      vals[2] = 3 * k;
      w.reset();
      encodeExecute(
        w,
        e.protocolVersion,
        prepared.kind === 4 ? prepared.id : Buffer.alloc(0),
        prepared.kind === 4 ? prepared.resultMetadataId : null,
        p,
        codec,
      );
      const r = await e.send(EngineRequest.of(opcodes.execute, w.buf, w.pos, 12000));
      if (r.opcode !== opcodes.result) throw new Error('error ' + r.opcode);
      done++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      concurrency,
      ops: done,
      opsPerSec: Math.round(done / secs),
      cpuUsPerOp: +((cpu.user + cpu.system) / done).toFixed(2),
    }),
  );
  await e.shutdown();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
