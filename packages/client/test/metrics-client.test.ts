import { describe, expect, it } from 'vitest';
import { ClientMetrics, DefaultMetrics, reportError, reportRetry } from '../src/metrics/client-metrics';

describe('ClientMetrics / DefaultMetrics', () => {
  it('DefaultMetrics emits increment per kind and on the parent emitter', () => {
    const m = new DefaultMetrics();
    const seen: string[] = [];
    m.errors.on('increment', () => seen.push('errors'));
    m.errors.readTimeout.on('increment', () => seen.push('errors.readTimeout'));
    m.retries.unavailable.on('increment', () => seen.push('retries.unavailable'));
    m.ignoredErrors.on('increment', () => seen.push('ignored'));
    m.speculativeExecutions.on('increment', () => seen.push('spec'));
    reportError(m, Object.assign(new Error('rt'), { code: 0x1200 }), false);
    reportRetry(m, Object.assign(new Error('u'), { code: 0x1000 }), false);
    m.onIgnoreError(new Error('x'));
    m.onSpeculativeExecution();
    expect(seen).toEqual(['errors.readTimeout', 'errors', 'retries.unavailable', 'ignored', 'spec']);
  });

  it('times requests only once someone listens to responses', () => {
    const m = new DefaultMetrics();
    expect(m.timed).toBe(false);
    const lat: Array<[number, number]> = [];
    m.responses.success.on('increment', (l: [number, number]) => lat.push(l));
    expect(m.timed).toBe(true);
    m.onSuccessfulResponse([0, 5000]);
    expect(lat).toEqual([[0, 5000]]);
    expect(new ClientMetrics().timed).toBe(true);
  });

  it('classifies client-side errors', () => {
    const calls: string[] = [];
    const m = new (class extends ClientMetrics {
      override onClientTimeoutError(): void {
        calls.push('clientTimeout');
      }
      override onConnectionError(): void {
        calls.push('connection');
      }
      override onOtherError(): void {
        calls.push('other');
      }
      override onWriteTimeoutError(): void {
        calls.push('writeTimeout');
      }
    })();
    reportError(m, new Error('t'), true);
    reportError(m, Object.assign(new Error('s'), { isSocketError: true }), false);
    reportError(m, Object.assign(new Error('w'), { code: 0x1100 }), false);
    reportError(m, Object.assign(new Error('syntax'), { code: 0x2000 }), false);
    expect(calls).toEqual(['clientTimeout', 'connection', 'writeTimeout', 'other']);
  });
});
