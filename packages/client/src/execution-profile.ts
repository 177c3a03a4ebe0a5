/**
 * Named groups of execution options (cassandra-driver `lib/execution-profile.js`), selected per query with
 * `options.executionProfile`. Unset fields fall back to the query options, then to the client options.
 */
import { LoadBalancingPolicy } from './policies/load-balancing';
import { RetryPolicy } from './policies/retry';
import { checkConsistency, checkTimeout } from './option-checks';

export interface ExecutionProfileOptions {
  consistency?: number;
  loadBalancing?: LoadBalancingPolicy;
  readTimeout?: number;
  retry?: RetryPolicy;
  serialConsistency?: number;
  graphOptions?: Record<string, unknown>;
}

export class ExecutionProfile {
  name: string;
  consistency: number | undefined;
  loadBalancing: LoadBalancingPolicy | undefined;
  readTimeout: number | undefined;
  retry: RetryPolicy | undefined;
  serialConsistency: number | undefined;
  graphOptions: Record<string, unknown>;

  constructor(name: string, options?: ExecutionProfileOptions) {
    if (typeof name !== 'string') throw new TypeError('Execution profile name must be a string');
    const o = options ?? {};
    if (typeof o !== 'object') throw new TypeError(`Execution profile "${name}" options must be an object`);
    // Checked here, when the profile is made: a request reads them only after it was accepted.
    const where = `Execution profile "${name}"`;
    if (o.consistency !== undefined) checkConsistency(o.consistency, `${where}: consistency`, 'type');
    if (o.serialConsistency !== undefined) checkConsistency(o.serialConsistency, `${where}: serialConsistency`, 'type');
    if (o.readTimeout !== undefined) checkTimeout(o.readTimeout, `${where}: readTimeout`, 'type');
    if (o.retry !== undefined && !(o.retry instanceof RetryPolicy)) {
      throw new TypeError(`${where}: retry must be an instance of RetryPolicy`);
    }
    if (o.loadBalancing !== undefined && !(o.loadBalancing instanceof LoadBalancingPolicy)) {
      throw new TypeError(`${where}: loadBalancing must be an instance of LoadBalancingPolicy`);
    }
    this.name = name;
    this.consistency = o.consistency;
    this.loadBalancing = o.loadBalancing;
    this.readTimeout = o.readTimeout;
    this.retry = o.retry;
    this.serialConsistency = o.serialConsistency;
    this.graphOptions = { ...(o.graphOptions ?? {}) };
  }
}

/** Holds the profiles by name; the 'default' profile always exists and carries the client's policies. */
export class ProfileManager {
  private readonly profiles: ExecutionProfile[];
  private readonly byName = new Map<string, ExecutionProfile>();
  private readonly defaultProfile: ExecutionProfile;
  readonly loadBalancingPolicies: LoadBalancingPolicy[] = [];

  constructor(profiles: ExecutionProfile[] | undefined, loadBalancing: LoadBalancingPolicy, retry: RetryPolicy) {
    this.profiles = profiles ? [...profiles] : [];
    let def = this.profiles.find((p) => p.name === 'default');
    if (def === undefined) {
      def = new ExecutionProfile('default');
      this.profiles.push(def);
    }
    def.loadBalancing ??= loadBalancing;
    def.retry ??= retry;
    this.defaultProfile = def;
    for (const p of this.profiles) {
      p.loadBalancing ??= def.loadBalancing;
      this.byName.set(p.name, p);
      if (!this.loadBalancingPolicies.includes(p.loadBalancing)) this.loadBalancingPolicies.push(p.loadBalancing);
    }
  }

  getProfile(name: string | ExecutionProfile | undefined | null): ExecutionProfile | undefined {
    if (name instanceof ExecutionProfile) return name;
    return this.byName.get(name || 'default');
  }

  getDefault(): ExecutionProfile {
    return this.defaultProfile;
  }

  getAll(): ExecutionProfile[] {
    return this.profiles;
  }
}
