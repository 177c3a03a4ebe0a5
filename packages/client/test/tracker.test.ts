/**
 * tracker.RequestLogger: which event a request gives ('slow' > 'large' > 'normal' on success, 'large' >
 * 'failure' on error), message contents and the length limits (cassandra-driver's lib/tracker).
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, ByteWriter, opcodes } from '@shardcql/core';
import { tracker, ExecutionOptions, Client } from '../src/index';
import { EngineAnswer } from '../src/engine/engine';
import type { EngineRequest } from '../src/engine/request';
import { FakeEngineBase } from './helpers/fake-engine';

/** Answers VOID; a query containing UNAVAILABLE fails with Unavailable on the first host it reaches. */
class FakeEngine extends FakeEngineBase {
  lengths: number[] = [];
  private failed = false;
  async send(req: EngineRequest): Promise<EngineAnswer> {
    const { body, bodyLength, hostIndex } = req;
    this.lengths.push(bodyLength);
    const text = Buffer.from(body.subarray(0, bodyLength)).toString('latin1');
    const host = hostIndex >= 0 ? hostIndex : 0;
    if (text.includes('UNAVAILABLE') && !this.failed) {
      this.failed = true;
      const w = new ByteWriter(64);
      w.i32(0x1000);
      w.string('Cannot achieve consistency');
      w.u16(1);
      w.i32(1);
      w.i32(0);
      return new EngineAnswer(opcodes.error, 0, w.toBuffer(), host);
    }
    const w = new ByteWriter(8);
    w.i32(1);
    return new EngineAnswer(opcodes.result, 0, w.toBuffer(), host);
  }
}

class Opts extends ExecutionOptions {
  constructor(
    private readonly prepared = true,
    private readonly logged = true,
  ) {
    super();
  }
  override isPrepared(): boolean {
    return this.prepared;
  }
  override isBatchLogged(): boolean {
    return this.logged;
  }
}

const host = { address: '10.0.0.1:9042' };
const ms = (n: number): [number, number] => [Math.floor(n / 1000), (n % 1000) * 1e6];

function collect(logger: InstanceType<typeof tracker.RequestLogger>): Array<[string, string]> {
  const events: Array<[string, string]> = [];
  for (const name of ['slow', 'large', 'normal', 'failure']) logger.emitter.on(name, (m: string) => events.push([name, m]));
  return events;
}

describe('tracker.RequestLogger', () => {
  it('requires options', () => {
    expect(() => new tracker.RequestLogger(undefined as never)).toThrow(ArgumentError);
    expect(new tracker.RequestLogger({})).toBeInstanceOf(tracker.RequestTracker);
  });

  it('success: slow wins over large, large over normal, normal only when enabled', () => {
    const logger = new tracker.RequestLogger({ slowThreshold: 100, requestSizeThreshold: 1000 });
    const events = collect(logger);
    logger.onSuccess(host, 'SELECT * FROM t WHERE k = ?', [1], new Opts(), 2000, 50, ms(250));
    logger.onSuccess(host, 'SELECT 2', [], new Opts(), 2000, 50, ms(5));
    logger.onSuccess(host, 'SELECT 3', [], new Opts(), 20, 50, ms(5));
    expect(events.map((e) => e[0])).toEqual(['slow', 'large']);
    expect(events[0]![1]).toBe(
      '[10.0.0.1:9042] Slow request, took 250 ms (request size 2 KB / response size 50 bytes): SELECT * FROM t WHERE k = ? [1]',
    );
    expect(events[1]![1]).toBe(
      '[10.0.0.1:9042] Request exceeded length, request size 2 KB / response size 50 bytes (took 5 ms): SELECT 2 []',
    );
    logger.logNormalRequests = true;
    logger.onSuccess(host, 'SELECT 3', null, new Opts(false), 20, 50, ms(5));
    expect(events[2]).toEqual([
      'normal',
      '[10.0.0.1:9042] Request completed normally, took 5 ms (request size 20 bytes / response size 50 bytes): SELECT 3 [] (not prepared)',
    ]);
  });

  it('error: large, else failure when logErroredRequests; the stack is cut', () => {
    const logger = new tracker.RequestLogger({ requestSizeThreshold: 100, messageMaxErrorStackTraceLength: 10 });
    const events = collect(logger);
    const err = new Error('boom');
    logger.onError(host, 'INSERT', [1], new Opts(), 20, err, ms(3));
    expect(events).toEqual([]);
    logger.onError(host, 'INSERT', [1], new Opts(), 200, err, ms(3));
    expect(events[0]![0]).toBe('large');
    expect(events[0]![1]).toBe(
      `[10.0.0.1:9042] Request exceeded length and execution failed, request size 200 bytes (took 3 ms): INSERT [1]; error: ${err.stack!.slice(0, 10)}`,
    );
    logger.logErroredRequests = true;
    logger.onError(host, 'INSERT', [1], new Opts(), 20, err, ms(3));
    expect(events[1]![0]).toBe('failure');
    expect(events[1]![1]).toMatch(
      /^\[10\.0\.0\.1:9042\] Request execution failed, took 3 ms \(request size 20 bytes\): INSERT \[1\]; error: Error: boo$/,
    );
  });

  it('cuts the query and parameter values, names named parameters, describes batches', () => {
    const logger = new tracker.RequestLogger({ logNormalRequests: true, messageMaxQueryLength: 20, messageMaxParameterValueLength: 3 });
    const events = collect(logger);
    logger.onSuccess(host, 'SELECT * FROM ks.table WHERE a = ?', ['abcdef'], new Opts(), 1, 1, ms(1));
    expect(events[0]![1]).toMatch(/: SELECT \* FROM ks.tab \[\.\.\.\]$/);
    logger.onSuccess(host, 'SELECT ?', ['abcdef', 12345], new Opts(), 1, 1, ms(1));
    expect(events[1]![1]).toMatch(/: SELECT \? \[abc,123\]$/);
    logger.onSuccess(host, 'SELECT :a', { a: 'xyz' }, new Opts(), 1, 1, ms(1));
    expect(events[2]![1]).toMatch(/: SELECT :a \[a:x\]$/);
    logger.onSuccess(
      host,
      [
        { query: 'INSERT A', params: [1] },
        { query: 'INSERT B', params: [2] },
      ],
      undefined,
      new Opts(false, false),
      1,
      1,
      ms(1),
    );
    expect(events[3]![1]).toMatch(/: BATCH w\/ 2 not prepared queries \(INSERT A \[1\],INSERT ,\.\.\.\)$/);
    logger.onSuccess(
      host,
      Array.from({ length: 10 }, () => ({ query: 'INSERT INTO x', params: [] })),
      undefined,
      new Opts(),
      1,
      1,
      ms(1),
    );
    expect(events[4]![1]).toMatch(/: LOGGED BATCH w\/ 10 queries \(INSERT INTO x \[\],INS,\.\.\.\)$/);
  });

  it('is accepted as the requestTracker client option; other objects are a TypeError', () => {
    const logger = new tracker.RequestLogger({});
    const client = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', requestTracker: logger });
    expect(client.options.requestTracker).toBe(logger);
    expect(() => new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', requestTracker: {} as never })).toThrow(TypeError);
    const duck = { onSuccess() {}, onError() {}, shutdown() {} };
    expect(new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', requestTracker: duck as never }).options.requestTracker).toBe(
      duck,
    );
  });

  it('the client calls the tracker once per request sent: an Unavailable then its retry on the next host', async () => {
    const calls: Array<{ kind: string; host: string; query: unknown; params: unknown; reqLen: number; extra: unknown }> = [];
    let shutdowns = 0;
    class Recording extends tracker.RequestTracker {
      override onSuccess(host: { address: string }, query: unknown, params: unknown, eo: unknown, reqLen: number, resLen: number): void {
        calls.push({ kind: 'ok', host: host.address, query, params, reqLen, extra: resLen });
      }
      override onError(host: { address: string }, query: unknown, params: unknown, eo: unknown, reqLen: number, err: Error): void {
        calls.push({ kind: 'err', host: host.address, query, params, reqLen, extra: err.name });
      }
      override shutdown(): void {
        shutdowns++;
      }
    }
    let engine: FakeEngine | null = null;
    const client = new Client(
      { contactPoints: ['10.0.0.1'], localDataCenter: 'dc1', isMetadataSyncEnabled: false, requestTracker: new Recording() },
      () => (engine = new FakeEngine()),
    );
    await client.execute('SELECT UNAVAILABLE', ['a'], { hints: ['text'] });
    expect(calls.map((c) => [c.kind, c.host, c.query, c.params, c.extra])).toEqual([
      ['err', '10.0.0.1:9042', 'SELECT UNAVAILABLE', ['a'], 'ResponseError'],
      ['ok', '10.0.0.2:9042', 'SELECT UNAVAILABLE', ['a'], 4 + 9],
    ]);
    expect(calls[0]!.reqLen).toBe(engine!.lengths[0]! + 9);
    await client.execute('SELECT :x', { x: 'v' }, { hints: { x: 'text' } });
    expect(calls[2]!.params).toEqual({ x: 'v' });
    await client.batch(['INSERT 1', { query: 'INSERT 2', params: [1] }], { hints: [[], ['int']] } as never); // QueryOptions.hints does not type batch hints (arrays of arrays)
    expect(calls[3]!.query).toEqual([
      { query: 'INSERT 1', params: undefined },
      { query: 'INSERT 2', params: [1] },
    ]);
    expect(calls[3]!.params).toBeUndefined();
    await client.shutdown();
    expect(shutdowns).toBe(1);
  });
});
