/**
 * Connect failures: the errors cassandra-driver 4.10 gives (class, message, inner errors, fields), found before any
 * shard worker starts (engine/contact-probe.ts), so that they come as fast as cassandra-driver's. Against the Go
 * stub (data center 'datacenter1') and ports where nothing listens. The same cases run against cassandra-driver
 * itself in differential-errors.integration.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { ArgumentError, NoHostAvailableError, OperationTimedOutError, ResponseError } from '@shardcql/core';
import { Client, auth, policies } from '../src/index';
import { WorkerSet } from '../src/engine/workers';

const DC = 'datacenter1';

describe('connect failures, as cassandra-driver and before any worker starts', () => {
  let stub: StubProcess;
  let starts: ReturnType<typeof vi.spyOn>;
  beforeAll(async () => {
    stub = await startStub({ host: '127.0.0.71', port: 0 });
  });
  afterAll(async () => {
    await stub?.stop();
  });
  beforeAll(() => {
    starts = vi.spyOn(WorkerSet.prototype as unknown as { start: () => unknown }, 'start');
  });
  afterEach(() => {
    starts.mockClear();
  });

  async function connectError(options: Record<string, unknown>): Promise<Error> {
    const client = new Client({
      contactPoints: [`127.0.0.71:${stub.port}`],
      localDataCenter: DC,
      shardcql: { workers: 1 },
      ...options,
    } as never);
    try {
      await client.connect();
    } catch (e) {
      return e as Error;
    } finally {
      await client.shutdown();
    }
    throw new Error('connect() succeeded');
  }

  it("nothing listening: NoHostAvailableError with the socket's own error (code ECONNREFUSED) per contact point", async () => {
    const err = (await connectError({ contactPoints: ['127.0.0.71:1', '127.0.0.72:1'] })) as NoHostAvailableError;
    expect(err).toBeInstanceOf(NoHostAvailableError);
    expect(Object.keys(err.innerErrors)).toEqual(['127.0.0.71:1', '127.0.0.72:1']);
    const inner = err.innerErrors['127.0.0.71:1'] as Error & { code?: string; syscall?: string };
    expect(inner.constructor).toBe(Error);
    expect(inner.code).toBe('ECONNREFUSED');
    expect(inner.syscall).toBe('connect');
    expect(err.message).toMatch(
      /^All host\(s\) tried for query failed\. First host tried, 127\.0\.0\.71:1: Error: connect ECONNREFUSED 127\.0\.0\.71:1\n/,
    );
    expect(starts).not.toHaveBeenCalled();
  });

  it('no contact point resolves: "No host could be resolved" with no inner errors; one that does not is left out', async () => {
    const none = (await connectError({ contactPoints: ['h13-no-such-host.invalid'] })) as NoHostAvailableError;
    expect(none).toBeInstanceOf(NoHostAvailableError);
    expect(none.message).toBe('No host could be resolved');
    expect(none.innerErrors).toEqual({});
    const some = (await connectError({ contactPoints: ['h13-no-such-host.invalid', '127.0.0.71:1'] })) as NoHostAvailableError;
    expect(Object.keys(some.innerErrors)).toEqual(['127.0.0.71:1']);
    expect(starts).not.toHaveBeenCalled();
  });

  it("a localDataCenter no host is in: NoHostAvailableError wrapping cassandra-driver's ArgumentError", async () => {
    const err = (await connectError({ localDataCenter: 'wrongdc' })) as NoHostAvailableError;
    expect(err).toBeInstanceOf(NoHostAvailableError);
    const inner = err.innerErrors[`127.0.0.71:${stub.port}`]!;
    expect(inner).toBeInstanceOf(ArgumentError);
    expect(inner.message).toBe("localDataCenter was configured as 'wrongdc', but only found hosts in data centers: [datacenter1]");
    expect(starts).not.toHaveBeenCalled();
  });

  it("no localDataCenter, or a policy's that no host is in: the policy's ArgumentError itself", async () => {
    const none = await connectError({ localDataCenter: undefined });
    expect(none).toBeInstanceOf(ArgumentError);
    expect(none.message).toMatch(/^'localDataCenter' is not defined in Client options .* Available DCs are: \[datacenter1\]$/);
    const policy = await connectError({
      localDataCenter: undefined,
      policies: { loadBalancing: new policies.loadBalancing.DCAwareRoundRobinPolicy('dc9') },
    });
    expect(policy).toBeInstanceOf(ArgumentError);
    expect(policy.message).toBe('Datacenter dc9 was not found. Available DCs are: [datacenter1]');
    expect(starts).not.toHaveBeenCalled();
  });

  it("a keyspace that does not exist: the server's ResponseError (0x2200) itself", async () => {
    const err = (await connectError({ keyspace: 'h13_missing_ks' })) as ResponseError;
    expect(err).toBeInstanceOf(ResponseError);
    expect(err.code).toBe(0x2200);
    expect(starts).not.toHaveBeenCalled();
  });

  it('with a custom AuthProvider (answered through the workers, so no probe), the same errors after the workers start', async () => {
    class Provider extends auth.AuthProvider {
      override newAuthenticator(): auth.Authenticator {
        return new auth.Authenticator();
      }
    }
    const dc = (await connectError({ localDataCenter: 'wrongdc', authProvider: new Provider() })) as NoHostAvailableError;
    expect(dc).toBeInstanceOf(NoHostAvailableError);
    expect(dc.innerErrors[`127.0.0.71:${stub.port}`]!.message).toBe(
      "localDataCenter was configured as 'wrongdc', but only found hosts in data centers: [datacenter1]",
    );
    const ks = (await connectError({ keyspace: 'h13_missing_ks', authProvider: new Provider() })) as ResponseError;
    expect(ks).toBeInstanceOf(ResponseError);
    expect(ks.code).toBe(0x2200);
    expect(starts).toHaveBeenCalled();
  });

  it('still connects when a contact point before the good one refuses', async () => {
    const client = new Client({
      contactPoints: ['127.0.0.71:1', `127.0.0.71:${stub.port}`],
      localDataCenter: DC,
      shardcql: { workers: 1 },
    });
    try {
      await client.connect();
      expect(client.hosts.length).toBeGreaterThan(0);
    } finally {
      await client.shutdown();
    }
  });
});

describe('error shapes, as cassandra-driver', () => {
  it('new Client() without options: TypeError "Contacts points are not defined."', () => {
    expect(() => new Client(undefined as never)).toThrow(new TypeError('Contacts points are not defined.'));
  });

  it("own keys name, info, message, then the class's fields, in that order: what JSON.stringify and loggers show", () => {
    const r = new ResponseError(0x2200, 'nope');
    expect(Object.keys(r)).toEqual(['name', 'info', 'message', 'code']);
    expect(JSON.parse(JSON.stringify(r))).toEqual({
      name: 'ResponseError',
      info: 'Represents an error message from the server',
      message: 'nope',
      code: 0x2200,
    });
    expect(Object.keys(new OperationTimedOutError('late', '10.0.0.1:9042'))).toEqual(['name', 'info', 'message', 'host']);
    expect(Object.keys(new NoHostAvailableError({}))).toEqual(['name', 'info', 'message', 'innerErrors']);
    expect(String(r.stack).split('\n')[0]).toBe('ResponseError: nope');
  });
});
