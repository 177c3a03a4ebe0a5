/**
 * cassandra-driver's `metrics` module: `ClientMetrics` (the hooks the client calls) and `DefaultMetrics`
 * (EventEmitters per kind, as lib/metrics/default-metrics.js names them). The per-request hooks
 * (`onResponse`, `onSuccessfulResponse`) need a clock read per request on the calling thread, so the
 * client only times requests when `timed` is true: always for a custom ClientMetrics, and for a
 * DefaultMetrics once someone listens to `responses` or `responses.success`.
 */
import { EventEmitter } from 'node:events';

/** Latency as process.hrtime() returns it: [seconds, nanoseconds]. */
export type HrTime = [number, number];

/**
 * `timed` (whether the client must time each request for onResponse / onSuccessfulResponse) is declared here,
 * optional, and defined as an accessor on the prototype below rather than in the class body: cassandra-driver
 * declares ClientMetrics as an interface of `on*` methods, and `class M implements metrics.ClientMetrics` must
 * compile without it. An object without it is timed.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- on purpose, see above
export interface ClientMetrics {
  readonly timed?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- on purpose, see above
export class ClientMetrics {
  onAuthenticationError(_e: Error): void {}
  onClientTimeoutError(_e: Error): void {}
  onClientTimeoutRetry(_e: Error): void {}
  onConnectionError(_e: Error): void {}
  onIgnoreError(_e: Error): void {}
  onOtherError(_e: Error): void {}
  onOtherErrorRetry(_e: Error): void {}
  onReadTimeoutError(_e: Error): void {}
  onReadTimeoutRetry(_e: Error): void {}
  onResponse(_latency: number[]): void {}
  onSpeculativeExecution(): void {}
  onSuccessfulResponse(_latency: number[]): void {}
  onUnavailableError(_e: Error): void {}
  onUnavailableRetry(_e: Error): void {}
  onWriteTimeoutError(_e: Error): void {}
  onWriteTimeoutRetry(_e: Error): void {}
}

Object.defineProperty(ClientMetrics.prototype, 'timed', { get: () => true, configurable: true });

type Kinds = 'authentication' | 'clientTimeout' | 'connection' | 'other' | 'readTimeout' | 'unavailable' | 'writeTimeout';
type ErrorEmitters = EventEmitter & Record<Kinds, EventEmitter>;
type RetryEmitters = EventEmitter & Record<'clientTimeout' | 'other' | 'readTimeout' | 'unavailable' | 'writeTimeout', EventEmitter>;

function emitters<K extends string>(kinds: readonly K[]): EventEmitter & Record<K, EventEmitter> {
  const root = new EventEmitter();
  for (const k of kinds) (root as unknown as Record<string, EventEmitter>)[k] = new EventEmitter();
  return root as EventEmitter & Record<K, EventEmitter>;
}

/** Emits 'increment' on `errors[.kind]`, `retries[.kind]`, `ignoredErrors`, `speculativeExecutions`, `responses[.success]`. */
export class DefaultMetrics extends ClientMetrics {
  readonly errors: ErrorEmitters = emitters([
    'authentication',
    'clientTimeout',
    'connection',
    'other',
    'readTimeout',
    'unavailable',
    'writeTimeout',
  ] as const);
  readonly retries: RetryEmitters = emitters(['clientTimeout', 'other', 'readTimeout', 'unavailable', 'writeTimeout'] as const);
  readonly speculativeExecutions = new EventEmitter();
  readonly ignoredErrors = new EventEmitter();
  readonly responses: EventEmitter & { success: EventEmitter } = emitters(['success'] as const);
  private listening = false;

  constructor() {
    super();
    const on = (): void => {
      this.listening = true;
    };
    this.responses.on('newListener', on);
    this.responses.success.on('newListener', on);
  }

  override get timed(): boolean {
    return this.listening;
  }

  private err(kind: Kinds, e: Error): void {
    this.errors[kind].emit('increment', e);
    this.errors.emit('increment', e);
  }
  private retry(kind: keyof RetryEmitters & ('clientTimeout' | 'other' | 'readTimeout' | 'unavailable' | 'writeTimeout'), e: Error): void {
    this.retries[kind].emit('increment', e);
    this.retries.emit('increment', e);
  }

  override onAuthenticationError(e: Error): void {
    this.err('authentication', e);
  }
  override onClientTimeoutError(e: Error): void {
    this.err('clientTimeout', e);
  }
  override onConnectionError(e: Error): void {
    this.err('connection', e);
  }
  override onOtherError(e: Error): void {
    this.err('other', e);
  }
  override onReadTimeoutError(e: Error): void {
    this.err('readTimeout', e);
  }
  override onUnavailableError(e: Error): void {
    this.err('unavailable', e);
  }
  override onWriteTimeoutError(e: Error): void {
    this.err('writeTimeout', e);
  }
  override onClientTimeoutRetry(e: Error): void {
    this.retry('clientTimeout', e);
  }
  override onOtherErrorRetry(e: Error): void {
    this.retry('other', e);
  }
  override onReadTimeoutRetry(e: Error): void {
    this.retry('readTimeout', e);
  }
  override onUnavailableRetry(e: Error): void {
    this.retry('unavailable', e);
  }
  override onWriteTimeoutRetry(e: Error): void {
    this.retry('writeTimeout', e);
  }
  override onIgnoreError(e: Error): void {
    this.ignoredErrors.emit('increment', e);
  }
  override onSpeculativeExecution(): void {
    this.speculativeExecutions.emit('increment');
  }
  override onResponse(latency: number[]): void {
    this.responses.emit('increment', latency);
  }
  override onSuccessfulResponse(latency: number[]): void {
    this.responses.success.emit('increment', latency);
  }
}

/** Server error codes (native protocol spec section 9) the hooks split on. */
const UNAVAILABLE = 0x1000;
const WRITE_TIMEOUT = 0x1100;
const READ_TIMEOUT = 0x1200;

/** Calls the error hook that fits `e` (a server ResponseError by its code, or a client-side error). */
export function reportError(m: ClientMetrics, e: Error, clientTimeout: boolean): void {
  const code = (e as { code?: unknown }).code;
  if (clientTimeout) m.onClientTimeoutError(e);
  else if ((e as { isSocketError?: boolean }).isSocketError) m.onConnectionError(e);
  else if (code === UNAVAILABLE) m.onUnavailableError(e);
  else if (code === WRITE_TIMEOUT) m.onWriteTimeoutError(e);
  else if (code === READ_TIMEOUT) m.onReadTimeoutError(e);
  else m.onOtherError(e);
}

/** Calls the retry hook that fits `e`. */
export function reportRetry(m: ClientMetrics, e: Error, clientTimeout: boolean): void {
  const code = (e as { code?: unknown }).code;
  if (clientTimeout) m.onClientTimeoutRetry(e);
  else if (code === UNAVAILABLE) m.onUnavailableRetry(e);
  else if (code === WRITE_TIMEOUT) m.onWriteTimeoutRetry(e);
  else if (code === READ_TIMEOUT) m.onReadTimeoutRetry(e);
  else m.onOtherErrorRetry(e);
}
