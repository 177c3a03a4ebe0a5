/**
 * Speculative executions (cassandra-driver `lib/request-handler.js`, `policies/speculative-execution.js`):
 * an idempotent request that has no answer after the plan's delay is sent again, and again after the next
 * delay, up to what the plan allows; the first answer (RESULT or server ERROR) wins and the others are
 * ignored when they come. Only the client's request loop uses this, and only when the policy is not
 * NoSpeculativeExecutionPolicy: the default path never reaches this module.
 *
 * Each execution goes to the next host of the request's query plan (`engine.queryPlan(req)`: the token's
 * replicas, local datacenter first, then the other up hosts; kept in the request, whose retries walk it on),
 * pinned through `req.hostIndex`, so two executions of one request never share a host; when the plan has no
 * host left, no further execution starts (as in cassandra-driver, where every execution takes the next host of
 * the same plan iterator).
 */
import type { Engine, EngineAnswer } from './engine/engine';
import type { EngineRequest } from './engine/request';
import type { ClientMetrics } from './metrics/client-metrics';
import type { SpeculativePlan } from './policies/speculative-execution';

export class SpeculativeRun {
  /** Speculative executions started so far (ExecutionInfo.speculativeExecutions). */
  executions = 0;

  constructor(
    private readonly plan: SpeculativePlan,
    private readonly metrics: ClientMetrics,
  ) {}

  /**
   * Sends `req` (its body owned by this call: it is sent again later; the caller leaves `req` alone until
   * this settles) and the speculative executions the plan asks for, each pinned through `req.hostIndex`.
   * Resolves with the first answer; rejects only when every execution started has failed (the request loop
   * then applies the retry policy, and the next attempt speculates again if the plan allows).
   */
  send(engine: Engine, req: EngineRequest): Promise<EngineAnswer> {
    const delay = this.plan.nextExecution();
    req.hostIndex = -1;
    if (delay < 0) return engine.send(req);
    // The request's plan (computed on its first use, here or by a retry; the default path never builds one),
    // walked through req.planNext, which its retries continue. An empty plan (host marks lagging behind
    // connections) or one made stale by a topology change (host indexes renumbered) falls back to unpinned
    // sends: the engine's own pick, as without a plan.
    const epoch = engine.hostsEpoch;
    const planned = engine.queryPlan(req);
    const hosts = planned.length > 0 ? planned : null;
    return new Promise<EngineAnswer>((resolve, reject) => {
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
        req.hostIndex = hosts !== null && engine.hostsEpoch === epoch && req.planNext < hosts.length ? hosts[req.planNext++]! : -1;
        engine.send(req).then(
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
          // cassandra-driver counts the speculative execution before it looks for a host (request-handler.js).
          this.metrics.onSpeculativeExecution();
          // Every host of the plan has an execution: no further one (cassandra-driver stops there too).
          if (hosts !== null && engine.hostsEpoch === epoch && req.planNext >= hosts.length) return;
          this.executions++;
          launch();
          const after = this.plan.nextExecution();
          if (after >= 0) schedule(after);
        }, ms);
      };
      launch();
      schedule(delay);
    });
  }
}
