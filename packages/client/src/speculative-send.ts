/**
 * Speculative executions (cassandra-driver `lib/request-handler.js`, `policies/speculative-execution.js`):
 * an idempotent request that has no answer after the plan's delay is sent again, and again after the next
 * delay, up to what the plan allows; the first answer (RESULT or server ERROR) wins and the others are
 * ignored when they come. Only the client's request loop uses this, and only when the policy is not
 * NoSpeculativeExecutionPolicy: the default path never reaches this module.
 *
 * Each execution is `engine.send` with no pinned host: the engine's next pick for the token, which is the
 * next replica of the plan (token-aware round robin), or the next host for a request without a token.
 */
import type { Engine, ResponseFrame } from './engine/engine';
import type { ClientMetrics } from './metrics/client-metrics';
import type { SpeculativePlan } from './policies/speculative-execution';

export class SpeculativeRun {
  /** Speculative executions started so far (ExecutionInfo.speculativeExecutions). */
  executions = 0;

  constructor(private readonly plan: SpeculativePlan, private readonly metrics: ClientMetrics) {}

  /**
   * Sends `body` (owned by this call: it is sent again later) and the speculative executions the plan
   * asks for. Resolves with the first answer; rejects only when every execution started has failed (the
   * request loop then applies the retry policy, and the next attempt speculates again if the plan allows).
   */
  send(engine: Engine, opcode: number, flags: number, body: Buffer, timeoutMs: number, tokenHi: number, tokenLo: number,
    hasToken: boolean, lwt: boolean): Promise<ResponseFrame> {
    const delay = this.plan.nextExecution();
    if (delay < 0) return engine.send(opcode, flags, body, body.length, timeoutMs, tokenHi, tokenLo, hasToken, -1, lwt);
    return new Promise<ResponseFrame>((resolve, reject) => {
      let pending = 0;
      let done = false;
      let timer: NodeJS.Timeout | null = null;
      const settle = (): void => {
        done = true;
        if (timer !== null) clearTimeout(timer);
        timer = null;
      };
      const launch = (): void => {
        pending++;
        engine.send(opcode, flags, body, body.length, timeoutMs, tokenHi, tokenLo, hasToken, -1, lwt).then(
          (frame) => {
            pending--;
            if (done) return;
            settle();
            resolve(frame);
          },
          (err: unknown) => {
            pending--;
            if (done || pending > 0) return;
            settle();
            reject(err);
          },
        );
      };
      const schedule = (ms: number): void => {
        timer = setTimeout(() => {
          timer = null;
          if (done) return;
          this.executions++;
          this.metrics.onSpeculativeExecution();
          launch();
          const next = this.plan.nextExecution();
          if (next >= 0) schedule(next);
        }, ms);
      };
      launch();
      schedule(delay);
    });
  }
}
