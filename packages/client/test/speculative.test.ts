/**
 * Speculative executions in the request loop (cassandra-driver semantics) against a fake engine whose
 * hosts answer after scripted delays: idempotent requests only, a new execution after each `delay` ms
 * without an answer, up to maxSpeculativeExecutions, the first answer wins, info.speculativeExecutions.
 */
import { describe, expect, it } from 'vitest';
import { ByteWriter, DriverError, opcodes } from '@shardcql/core';
import { Client } from '../src/client';
import { EngineAnswer, type EngineOptions } from '../src/engine/engine';
import type { EngineRequest } from '../src/engine/request';
import { FakeEngineBase, fakeHosts } from './helpers/fake-engine';
import { ConstantSpeculativeExecutionPolicy, NoSpeculativeExecutionPolicy } from '../src/policies/speculative-execution';
import { ClientMetrics } from '../src/metrics/client-metrics';

interface HostScript {
  delayMs: number;
  fail?: boolean;
}

class SlowHostsEngine extends FakeEngineBase {
  /** Host index of every send, in order. */
  sent: number[] = [];
  late = 0;
  private next = 0;
  constructor(
    readonly options: EngineOptions,
    private readonly script: HostScript[],
  ) {
    super();
    this.hosts = fakeHosts(script.length);
  }
  send(req: EngineRequest): Promise<EngineAnswer> {
    const { body, bodyLength, hostIndex } = req;
    const host = hostIndex >= 0 ? hostIndex : this.next++ % this.hosts.length;
    Buffer.from(body.subarray(0, bodyLength)); // the engine copies the body before returning
    this.sent.push(host);
    this.inFlight++;
    const s = this.script[host]!;
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        this.inFlight--;
        if (s.fail) reject(new DriverError(`host ${host} failed`));
        else {
          const w = new ByteWriter(8);
          w.i32(1); // VOID
          resolve(new EngineAnswer(opcodes.result, 0, w.toBuffer(), host));
        }
      }, s.delayMs);
    });
  }
}

class CountingMetrics extends ClientMetrics {
  speculative = 0;
  override onSpeculativeExecution(): void {
    this.speculative++;
  }
}

function newClient(script: HostScript[], policy: unknown, metrics?: ClientMetrics): { client: Client; engine: () => SlowHostsEngine } {
  let engine: SlowHostsEngine | null = null;
  const client = new Client(
    {
      contactPoints: ['10.0.0.1'],
      localDataCenter: 'dc1',
      isMetadataSyncEnabled: false,
      policies: { speculativeExecution: policy as NoSpeculativeExecutionPolicy },
      ...(metrics ? { metrics } : {}),
    },
    (o) => (engine = new SlowHostsEngine(o, script)),
  );
  return { client, engine: () => engine! };
}

const Q = 'INSERT INTO ks.t (k) VALUES (1)';

describe('speculative executions', () => {
  it('sends an idempotent request to the next host after the delay; the first answer wins', async () => {
    const metrics = new CountingMetrics();
    // Host 0 answers seconds after the speculative execution: an event loop stalled past both timers fires them
    // in deadline order, so the gap (not the CPU) decides the winner on a busy machine.
    const { client, engine } = newClient(
      [{ delayMs: 3000 }, { delayMs: 5 }, { delayMs: 5 }],
      new ConstantSpeculativeExecutionPolicy(30, 2),
      metrics,
    );
    await client.connect();
    const t0 = performance.now();
    const rs = await client.execute(Q, [], { isIdempotent: true });
    const ms = performance.now() - t0;
    expect(engine().sent).toEqual([0, 1]);
    expect(rs.info.queriedHost).toBe('10.0.0.2:9042');
    expect(rs.info.speculativeExecutions).toBe(1);
    expect(metrics.speculative).toBe(1);
    expect(ms).toBeLessThan(2000);
    await client.shutdown();
  });

  it('starts up to maxSpeculativeExecutions when nobody answers, and takes the first answer', async () => {
    // Host 0's answer comes 600 ms in: both speculative executions (10 and 20 ms) start first even when the event
    // loop stalls for a few hundred ms; the losers answer at 1.2 s.
    const { client, engine } = newClient(
      [{ delayMs: 600 }, { delayMs: 1200 }, { delayMs: 1200 }, { delayMs: 1200 }],
      new ConstantSpeculativeExecutionPolicy(10, 2),
    );
    await client.connect();
    const rs = await client.execute(Q, [], { isIdempotent: true });
    expect(engine().sent).toEqual([0, 1, 2]);
    expect(rs.info.queriedHost).toBe('10.0.0.1:9042');
    expect(rs.info.speculativeExecutions).toBe(2);
    // The losers' answers come later and are ignored (no unhandled rejection, no second settle).
    await new Promise((r) => setTimeout(r, 1300));
    await client.shutdown();
  });

  it('never speculates for a non-idempotent request, a fixed host, or NoSpeculativeExecutionPolicy', async () => {
    const { client, engine } = newClient([{ delayMs: 120 }, { delayMs: 5 }], new ConstantSpeculativeExecutionPolicy(10, 3));
    await client.connect();
    const rs = await client.execute(Q, [], { isIdempotent: false });
    expect(engine().sent).toEqual([0]);
    expect(rs.info.speculativeExecutions).toBe(0);
    const pinned = client.hosts.values()[0]!;
    engine().sent = [];
    const rs1 = await client.execute(Q, [], { isIdempotent: true, host: pinned });
    expect(engine().sent).toEqual([0]);
    expect(rs1.info.speculativeExecutions).toBe(0);
    await client.shutdown();

    const none = newClient([{ delayMs: 120 }, { delayMs: 5 }], new NoSpeculativeExecutionPolicy());
    await none.client.connect();
    const rs2 = await none.client.execute(Q, [], { isIdempotent: true });
    expect(none.engine().sent).toEqual([0]);
    expect(rs2.info.speculativeExecutions).toBe(0);
    await none.client.shutdown();
  });

  it('fails only when every execution started has failed; the error then goes through the retry policy', async () => {
    // A 2 s delay, so "failed without waiting for it" holds with a wide margin on a busy machine.
    const { client, engine } = newClient(
      [
        { delayMs: 5, fail: true },
        { delayMs: 5, fail: true },
      ],
      new ConstantSpeculativeExecutionPolicy(2000, 2),
    );
    await client.connect();
    const t0 = performance.now();
    await expect(client.execute(Q, [], { isIdempotent: true })).rejects.toThrow(DriverError);
    // The first execution failed before the delay: no speculative one was started, no timer left behind.
    expect(engine().sent).toEqual([0]);
    expect(performance.now() - t0).toBeLessThan(1000);
    await client.shutdown();
  });

  it('waits for the other executions when one fails', async () => {
    const { client, engine } = newClient([{ delayMs: 60, fail: true }, { delayMs: 100 }], new ConstantSpeculativeExecutionPolicy(20, 1));
    await client.connect();
    const rs = await client.execute(Q, [], { isIdempotent: true });
    expect(engine().sent).toEqual([0, 1]);
    expect(rs.info.queriedHost).toBe('10.0.0.2:9042');
    expect(rs.info.speculativeExecutions).toBe(1);
    await client.shutdown();
  });
});
