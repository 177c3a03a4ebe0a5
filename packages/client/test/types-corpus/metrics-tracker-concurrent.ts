// The `metrics`, `tracker` and `concurrent` namespaces.
import { metrics, tracker, concurrent, errors, Client, Host, ExecutionOptions, types } from 'cassandra-driver';
import { Readable } from 'stream';

const m: metrics.ClientMetrics = new metrics.DefaultMetrics();
const dm = new metrics.DefaultMetrics();
dm.onAuthenticationError(new errors.AuthenticationError('x'));
dm.onClientTimeoutError(new errors.OperationTimedOutError('x'));
dm.onResponse([0, 1000]);
dm.onSuccessfulResponse([0, 1000]);
dm.onSpeculativeExecution();
dm.onReadTimeoutError(new errors.ResponseError(types.responseErrorCodes.readTimeout, 'x'));

class CountingMetrics implements metrics.ClientMetrics {
  errors = 0;
  onAuthenticationError(e: Error | errors.AuthenticationError): void { this.errors++; }
  onClientTimeoutError(e: errors.OperationTimedOutError): void { this.errors++; }
  onClientTimeoutRetry(e: Error): void {}
  onConnectionError(e: Error): void { this.errors++; }
  onIgnoreError(e: Error): void {}
  onOtherError(e: Error): void { this.errors++; }
  onOtherErrorRetry(e: Error): void {}
  onReadTimeoutError(e: errors.ResponseError): void { this.errors++; }
  onReadTimeoutRetry(e: Error): void {}
  onResponse(latency: number[]): void {}
  onSpeculativeExecution(): void {}
  onSuccessfulResponse(latency: number[]): void {}
  onUnavailableError(e: errors.ResponseError): void { this.errors++; }
  onUnavailableRetry(e: Error): void {}
  onWriteTimeoutError(e: errors.ResponseError): void { this.errors++; }
  onWriteTimeoutRetry(e: Error): void {}
}
class Extended extends metrics.DefaultMetrics {
  onResponse(latency: number[]): void {
    super.onResponse(latency);
  }
}
const client = new Client({ contactPoints: ['h'], localDataCenter: 'dc1', metrics: new CountingMetrics() });
const client2 = new Client({ contactPoints: ['h'], localDataCenter: 'dc1', metrics: new Extended() });
const cm: metrics.ClientMetrics = client.metrics;

const logger = new tracker.RequestLogger({ slowThreshold: 500, logNormalRequests: true, logErroredRequests: true, messageMaxQueryLength: 500, messageMaxParameterValueLength: 50, messageMaxErrorStackTraceLength: 200 });
const logger2: tracker.RequestTracker = new tracker.RequestLogger({});

class Tracker implements tracker.RequestTracker {
  onError(host: Host, query: string | Array<{ query: string; params?: any }>, parameters: any[] | { [key: string]: any } | null,
    executionOptions: ExecutionOptions, requestLength: number, err: Error, latency: number[]): void {
    console.log(host.address, query, parameters, executionOptions.getConsistency(), requestLength, err.message, latency[0] * 1e3 + latency[1] / 1e6);
  }
  onSuccess(host: Host, query: string | Array<{ query: string; params?: any }>, parameters: any[] | { [key: string]: any } | null,
    executionOptions: ExecutionOptions, requestLength: number, responseLength: number, latency: number[]): void {
    console.log(host, query, parameters, executionOptions, requestLength, responseLength, latency);
  }
  shutdown(): void {}
}
const client3 = new Client({ contactPoints: ['h'], localDataCenter: 'dc1', requestTracker: new Tracker() });
const client4 = new Client({ contactPoints: ['h'], localDataCenter: 'dc1', requestTracker: logger });

async function concurrency(c: Client): Promise<void> {
  const r: concurrent.ResultSetGroup = await concurrent.executeConcurrent(c, 'INSERT INTO t (a, b) VALUES (?, ?)', [[1, 2], [3, 4]]);
  const r2 = await concurrent.executeConcurrent(c, 'INSERT INTO t (a) VALUES (?)', [[1]], { concurrencyLevel: 10, raiseOnFirstError: false, collectResults: true, maxErrors: 10, executionProfile: 'default' });
  const r3 = await concurrent.executeConcurrent(c, [{ query: 'INSERT INTO t (a) VALUES (?)', params: [1] }, { query: 'SELECT 1', params: [] }]);
  const r4 = await concurrent.executeConcurrent(c, 'INSERT INTO t (a) VALUES (?)', Readable.from([[1], [2]]));
  const opts: concurrent.Options = { concurrencyLevel: 2 };
  const r5 = await concurrent.executeConcurrent(c, [{ query: 'SELECT 1', params: [] }], opts);
  const errs: Error[] = r.errors;
  const items: any[] = r2.resultItems;
  const total: number = r3.totalExecuted;
  console.log(errs, items, total, r4, r5, (items[0] as types.ResultSet).rowLength);
}
export { m, cm, client2, logger2, client3, client4, concurrency };
