/**
 * Types for scripts/toxiproxy.mjs (a plain .mjs shared with the scripts): what startToxiproxy() returns, the
 * handful of HTTP API calls the chaos tests use, and a typed start.
 */
import { startToxiproxy as start } from '../../scripts/toxiproxy.mjs';

export interface Api {
  createProxy(name: string, listen: string, upstream: string): Promise<unknown>;
  deleteProxy(name: string): Promise<unknown>;
  setEnabled(name: string, enabled: boolean): Promise<unknown>;
  addToxic(
    proxy: string,
    t: { name?: string; type: string; stream?: string; toxicity?: number; attributes?: Record<string, number> },
  ): Promise<unknown>;
  removeToxic(proxy: string, name: string): Promise<unknown>;
  reset(): Promise<unknown>;
}

export interface Toxiproxy {
  pid: number;
  api: Api;
  stop(): Promise<void>;
}

export async function startToxiproxy(): Promise<Toxiproxy> {
  return (await start()) as Toxiproxy;
}
