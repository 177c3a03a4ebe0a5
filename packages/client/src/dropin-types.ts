/**
 * Type names cassandra-driver's index.d.ts exports that have no class of their own here, so that code naming
 * them compiles unchanged. Declared as aliases (not re-exported with `export type`) so that
 * `import ClientOptions = cassandra.ClientOptions` works as well.
 */
import type { ClientOptions as ClientOptionsDecl } from './client-options';
import type { QueryOptions as QueryOptionsDecl } from './execution-options';
import type { EmptyCallback as PEmptyCallback, ValueCallback as PValueCallback } from './promise-utils';
import type { Uuid } from '@shardcql/core';

export type ClientOptions = ClientOptionsDecl;
export type QueryOptions = QueryOptionsDecl;
export type ValueCallback<T> = PValueCallback<T>;
export type EmptyCallback = PEmptyCallback;

/** Query parameters, as cassandra-driver declares them (positional or by name). */
// `any` as there: code that builds parameters as `any[]` or `{ [k: string]: any }` passes them unchanged.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's declaration (see above)
export type ArrayOrObject = any[] | { [key: string]: any };

/** cassandra-driver's DSE options extension; the Graph options are accepted and not used (no DSE Graph). */
export interface DseClientOptions extends ClientOptions {
  id?: Uuid;
  applicationName?: string;
  applicationVersion?: string;
  monitorReporting?: { enabled?: boolean };
  graphOptions?: GraphOptions;
}

/** DSE Graph query options (accepted and not used: no DSE Graph). */
export interface GraphQueryOptions extends QueryOptions {
  graphLanguage?: string;
  graphName?: string;
  graphReadConsistency?: number;
  graphSource?: string;
  graphWriteConsistency?: number;
}

/** DSE Graph client options (accepted and not used: no DSE Graph). */
export type GraphOptions = {
  language?: string;
  name?: string;
  readConsistency?: number;
  readTimeout?: number;
  source?: string;
  writeConsistency?: number;
};
