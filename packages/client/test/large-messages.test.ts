// Answers and requests of any size the protocol allows travel between the requesting threads and the shard
// workers, whatever the load: a message larger than one ring record (512 KB on the main thread's 1 MiB rings,
// 128 KB on a handle thread's 256 KiB rings) goes in parts (packages/core/src/ring/ring-writer.ts). Served by
// the stub's simulator.large and simulator.echo tables (test/simulator/server.go), protocol v4 and v5.
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, types } from '@shardcql/client';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { blobOf, checkLargeRows, smallLoad } from './fixtures/large-messages-checks';

const THREAD = resolve(__dirname, 'fixtures/large-messages-thread.ts');

for (const v5 of [false, true]) {
  describe(`messages larger than a ring record, through the rings (stub, protocol v${v5 ? 5 : 4})`, () => {
    let stub: StubProcess;
    let client: Client;
    const errors: string[] = [];

    beforeAll(async () => {
      stub = await startStub({ host: '127.0.0.51', port: 0, v5 });
      // directLane 0: every request goes through the rings, as under load.
      client = new Client({
        contactPoints: ['127.0.0.51'],
        localDataCenter: 'datacenter1',
        protocolOptions: { port: stub.port },
        socketOptions: { readTimeout: 20_000 },
        shardcql: { workers: 1, directLane: 0 },
      });
      client.on('log', (level: string, _c: string, message: string) => {
        if (level === 'error') errors.push(message);
      });
      await client.connect();
    }, 120_000);

    afterAll(async () => {
      await client?.shutdown();
      await stub?.stop();
    });

    it('settles a 600 KB answer (one row), byte for byte', async () => {
      const rs = await client.execute('SELECT * FROM simulator.large WHERE size = 600000');
      expect(checkLargeRows(rs, 600_000, 1)).toBe(true);
    });

    it('settles a default-fetchSize page of 5,000 rows of 116-byte blobs (~640 KB)', async () => {
      const rs = await client.execute('SELECT * FROM simulator.large WHERE size = 116 AND rows = 5000');
      expect(checkLargeRows(rs, 116, 5000)).toBe(true);
    });

    it('settles 12 answers of 3 MB at once (the response ring full meanwhile) with 200 small selects in flight, every value checked', async () => {
      const load = smallLoad(client, 200);
      const big = await Promise.all(
        Array.from({ length: 12 }, () => client.execute('SELECT * FROM simulator.large WHERE size = 1500000 AND rows = 2')),
      );
      const small = await load;
      expect(big.every((rs) => checkLargeRows(rs, 1_500_000, 2))).toBe(true);
      expect(small).toEqual({ done: 200, wrong: 0, failed: [] });
      expect(errors).toEqual([]); // no worker stopped
    }, 60_000);

    it('sends requests of 600 KB and 10 MB with 200 small requests in flight; the server gets them whole', async () => {
      const load = smallLoad(client, 200);
      const sent = [blobOf(1, 600_000), blobOf(2, 10_000_000), blobOf(3, 600_000)];
      const echoes = await Promise.all(sent.map((b) => client.execute('SELECT * FROM simulator.echo', [b])));
      const small = await load;
      echoes.forEach((rs, k) => {
        expect(rs.rowLength).toBe(1);
        expect(Buffer.compare(rs.rows[0]!['v'] as Buffer, sent[k]!)).toBe(0);
      });
      expect(small).toEqual({ done: 200, wrong: 0, failed: [] });
    }, 60_000);

    it('answers of 200 KB and requests of 1 MB through a client handle thread (its ring records hold 128 KB)', async () => {
      const handle = await client.createHandle({ threads: 1 });
      const worker = new Worker(`require("tsx/cjs/api").register(); require(${JSON.stringify(THREAD)});`, {
        eval: true,
        execArgv: ['--conditions=source'],
        workerData: { handle, answerBytes: 200_000, requestBytes: 1_000_000 },
      });
      const result = await new Promise<Record<string, unknown>>((res, rej) => {
        worker.once('message', res);
        worker.once('error', rej);
      });
      await worker.terminate();
      expect(result).toEqual({ answersOk: true, echoOk: true, small: { done: 200, wrong: 0, failed: [] } });
    }, 120_000);

    it('hands sequential requests to the direct lane again after large answers went through the rings', async () => {
      const c = new Client({
        contactPoints: ['127.0.0.51'],
        localDataCenter: 'datacenter1',
        protocolOptions: { port: stub.port },
        shardcql: { workers: 1 },
      });
      await c.connect();
      try {
        // Concurrent, so the rings carry them (the lane takes only requests sent one at a time).
        const big = await Promise.all(Array.from({ length: 4 }, () => c.execute('SELECT * FROM simulator.large WHERE size = 900000')));
        expect(big.every((rs) => checkLargeRows(rs, 900_000, 1))).toBe(true);
        const laneRequests = (): number =>
          c
            .getShardMetrics()
            .filter((m) => m.worker === -1)
            .reduce((a, m) => a + m.requests, 0);
        const before = laneRequests();
        // The lane opens in the background on first use: keep sending one at a time until it carried some.
        for (let i = 0; i < 2000 && laneRequests() - before < 20; i++) {
          const rs = await c.execute('SELECT * FROM simulator.large WHERE size = 16 AND rows = 2');
          expect(checkLargeRows(rs, 16, 2)).toBe(true);
        }
        expect(laneRequests() - before).toBeGreaterThanOrEqual(20);
      } finally {
        await c.shutdown();
      }
    }, 60_000);

    it('is still fast to shut down after all that (nothing left pending)', async () => {
      const c = new Client({
        contactPoints: ['127.0.0.51'],
        localDataCenter: 'datacenter1',
        protocolOptions: { port: stub.port },
        shardcql: { workers: 1, directLane: 0 },
      });
      await c.connect();
      const rs = await c.execute('SELECT * FROM simulator.large WHERE size = 700000');
      expect(checkLargeRows(rs, 700_000, 1)).toBe(true);
      const t0 = Date.now();
      await c.shutdown();
      expect(Date.now() - t0).toBeLessThan(5000);
    }, 60_000);
  });
}

void types;
