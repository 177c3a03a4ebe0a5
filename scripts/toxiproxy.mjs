#!/usr/bin/env node
// Shopify Toxiproxy for the chaos tests: install (go install, pinned), start/stop by PID, and a small client
// for its HTTP API. Node built-ins only (fetch, child_process): the API is six JSON routes, and the npm
// clients (toxiproxy-node-client) lag the server's toxic set, so a dependency would buy nothing.
//
//   node scripts/toxiproxy.mjs install        go install the pinned server into .tools/bin (git-ignored)
//   node scripts/toxiproxy.mjs start          start one on 127.0.0.1 (8474, or a free port); prints {pid, url}
//   node scripts/toxiproxy.mjs stop <pid>     stop that one (only a PID this script started is accepted)
//
// Imported by test/chaos/*.integration.test.ts: ensureToxiproxy(), startToxiproxy(), ToxiproxyApi.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The newest v2 tag the Go module proxy serves (proxy.golang.org/github.com/!shopify/toxiproxy/v2/@latest,
// checked 2025-11); its server's package is cmd/server (the binary `go install` names `server`).
export const TOXIPROXY_VERSION = 'v2.12.0';
export const TOXIPROXY_PACKAGE = 'github.com/Shopify/toxiproxy/v2/cmd/server';
const BIN_DIR = join(ROOT, '.tools', 'bin');
export const TOXIPROXY_BIN = join(BIN_DIR, `toxiproxy-server-${TOXIPROXY_VERSION}`);

/** Installs the pinned server if it is missing; returns the binary's path. Throws when Go is not there. */
export function ensureToxiproxy({ quiet = false } = {}) {
  if (existsSync(TOXIPROXY_BIN)) return TOXIPROXY_BIN;
  mkdirSync(BIN_DIR, { recursive: true });
  if (!quiet) process.stderr.write(`toxiproxy: go install ${TOXIPROXY_PACKAGE}@${TOXIPROXY_VERSION} (GOBIN=${BIN_DIR})\n`);
  const r = spawnSync('go', ['install', `${TOXIPROXY_PACKAGE}@${TOXIPROXY_VERSION}`], {
    env: { ...process.env, GOBIN: BIN_DIR, GOFLAGS: '-buildvcs=false' },
    stdio: quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'],
    timeout: 15 * 60_000,
  });
  if (r.error) throw new Error(`toxiproxy: cannot run go: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`toxiproxy: go install failed (exit ${r.status})${quiet ? `: ${r.stderr}` : ''}`);
  // `go install` names the binary after its package (`server`); give it a name that says what and which.
  renameSync(join(BIN_DIR, 'server'), TOXIPROXY_BIN);
  return TOXIPROXY_BIN;
}

/** A free TCP port on `host` (bound, read, released). */
export function freePort(host = '127.0.0.1') {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function portFree(port, host) {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a Toxiproxy server on 127.0.0.1 (port 8474 when free, else a free one) and waits for its API.
 * Returns { pid, host, port, url, api, stop() }; stop() kills exactly that PID and waits for its exit.
 */
export async function startToxiproxy({ host = '127.0.0.1', port = 0 } = {}) {
  const bin = ensureToxiproxy({ quiet: true });
  const p = port || ((await portFree(8474, host)) ? 8474 : await freePort(host));
  const child = spawn(bin, ['-host', host, '-port', String(p)], { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  child.stderr.on('data', (d) => {
    if (stderr.length < 8192) stderr += d;
  });
  let exited = null;
  const exit = new Promise((r) => child.once('exit', (code, sig) => r((exited = { code, sig }))));
  const url = `http://${host}:${p}`;
  const api = new ToxiproxyApi(url);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) throw new Error(`toxiproxy exited at start (${JSON.stringify(exited)}): ${stderr.slice(-2000)}`);
    try {
      await api.version();
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`toxiproxy did not answer on ${url}: ${e.message}`);
      }
      await sleep(50);
    }
  }
  child.unref();
  child.stderr.unref?.();
  const pid = child.pid;
  return {
    pid,
    host,
    port: p,
    url,
    api,
    async stop() {
      if (exited) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5000);
      await exit;
      clearTimeout(t);
    },
  };
}

/** The Toxiproxy v2 HTTP API (https://github.com/Shopify/toxiproxy#http-api), the routes the tests use. */
export class ToxiproxyApi {
  constructor(url) {
    this.url = url.replace(/\/$/, '');
  }

  async req(method, path, body) {
    const r = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`toxiproxy ${method} ${path}: HTTP ${r.status} ${text.trim()}`);
    return text === '' ? null : JSON.parse(text);
  }

  async version() {
    const r = await fetch(`${this.url}/version`, { signal: AbortSignal.timeout(2000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    // v2.12 answers {"version": "..."}; older servers a bare string.
    const text = (await r.text()).trim();
    try {
      return String(JSON.parse(text).version ?? text);
    } catch {
      return text;
    }
  }

  /** Creates a proxy `name` listening on `listen` ("127.0.0.1:port") to `upstream`. */
  createProxy(name, listen, upstream) {
    return this.req('POST', '/proxies', { name, listen, upstream, enabled: true });
  }

  getProxy(name) {
    return this.req('GET', `/proxies/${encodeURIComponent(name)}`);
  }

  deleteProxy(name) {
    return this.req('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }

  /** Disabled: the listener closes and every connection through it is dropped (a node gone). */
  setEnabled(name, enabled) {
    return this.req('POST', `/proxies/${encodeURIComponent(name)}`, { enabled });
  }

  /**
   * Adds a toxic. type: latency {latency, jitter} | bandwidth {rate KB/s} | slow_close {delay} |
   * timeout {timeout} | reset_peer {timeout} | limit_data {bytes} | slicer {average_size, size_variation, delay}.
   * stream: 'downstream' (server -> client) or 'upstream'.
   */
  addToxic(proxy, { name, type, stream = 'downstream', toxicity = 1, attributes = {} }) {
    return this.req('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, {
      name: name ?? `${type}_${stream}`,
      type,
      stream,
      toxicity,
      attributes,
    });
  }

  removeToxic(proxy, name) {
    return this.req('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`);
  }

  /** Enables every proxy and removes every toxic. */
  reset() {
    return this.req('POST', '/reset');
  }
}

// ---- CLI -------------------------------------------------------------------------------------------

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const [cmd, arg] = process.argv.slice(2);
  try {
    if (cmd === 'install') {
      process.stdout.write(`${ensureToxiproxy()}\n`);
    } else if (cmd === 'start') {
      const t = await startToxiproxy();
      process.stdout.write(`${JSON.stringify({ pid: t.pid, url: t.url, version: await t.api.version() })}\n`);
      process.exit(0);
    } else if (cmd === 'stop') {
      const pid = Number(arg);
      if (!Number.isInteger(pid) || pid <= 0) throw new Error('usage: node scripts/toxiproxy.mjs stop <pid>');
      // Only a toxiproxy server of ours: check the command line of that PID before signalling it.
      const cmdline = existsSync(`/proc/${pid}/cmdline`) ? spawnSync('cat', [`/proc/${pid}/cmdline`]).stdout.toString() : '';
      if (!cmdline.includes(TOXIPROXY_BIN)) throw new Error(`pid ${pid} is not a toxiproxy server started from ${TOXIPROXY_BIN}`);
      process.kill(pid, 'SIGTERM');
    } else {
      process.stderr.write('usage: node scripts/toxiproxy.mjs install | start | stop <pid>\n');
      process.exit(2);
    }
  } catch (e) {
    process.stderr.write(`toxiproxy: ${e.message}\n`);
    process.exit(1);
  }
}
