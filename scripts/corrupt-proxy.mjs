#!/usr/bin/env node
// A TCP proxy that corrupts the server -> client stream on demand: what Toxiproxy cannot do (it delays,
// throttles and cuts, but never changes a byte). Used by test/chaos/corrupt.integration.test.ts to prove
// that a flipped byte on a live connection is caught (v5: the frame's CRC24/CRC32, spec v5 §2.2; v4: the
// envelope header checks) and fails only the requests of that connection.
//
//   node scripts/corrupt-proxy.mjs --listen 127.0.0.1:19042 --target 127.0.0.1:9042 --after 100000
//
// API: startCorruptProxy({ target, listenHost?, listenPort? }) -> { port, arm(plan), stats, connections(), close() }
//   arm({ afterBytes, xor = 0xff, connections = 1 })   raw: the byte `afterBytes` further down the stream of
//                                                       the next `connections` live connections is XORed
//   arm({ v4Field: 'length' | 'opcode' | 'version' | 'stream', connections = 1, afterBytes = 0 })
//                                                       v4-aware: the chosen header field of the first envelope
//                                                       that starts after `afterBytes` more bytes is corrupted

import net from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Header offsets of a v3/v4 envelope (spec v4 §2): version, flags, stream(2), opcode, length(4). */
const V4_FIELD = { version: 0, stream: 2, opcode: 4, length: 5 };

class Link {
  constructor(id, client, server) {
    this.id = id;
    this.client = client;
    this.server = server;
    this.down = 0; // bytes server -> client so far
    this.plan = null; // { at, xor } or { v4Field, startAfter }
    this.corruptedAt = -1;
    this.clientClosedAt = 0; // when the client closed after a corruption (ms since epoch), 0 = not
    this.corruptedTime = 0;
    // v4 envelope walker: offset in the stream where the next envelope header starts.
    this.nextHeader = 0;
    this.hdr = Buffer.alloc(9);
    this.hdrFill = 0;
    this.closed = false;
  }
}

/**
 * Starts the proxy; resolves when it listens. `target` is "host:port".
 */
export function startCorruptProxy({ target, listenHost = '127.0.0.1', listenPort = 0 }) {
  const [thost, tport] = parseAddress(target);
  const links = new Set();
  let nextId = 1;
  const stats = { connections: 0, corrupted: 0, closedByClientAfterCorruption: 0, events: [] };
  const pendingPlans = [];

  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ host: thost, port: tport, noDelay: true });
    const link = new Link(nextId++, client, upstream);
    links.add(link);
    stats.connections++;
    client.on('data', (d) => {
      if (!upstream.write(d)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    upstream.on('data', (d) => {
      const out = corrupt(link, d, stats);
      if (!client.write(out)) upstream.pause();
    });
    const close = (who) => () => {
      if (link.closed) return;
      link.closed = true;
      links.delete(link);
      if (who === 'client' && link.corruptedAt >= 0) {
        link.clientClosedAt = Date.now();
        stats.closedByClientAfterCorruption++;
        stats.events.push({ link: link.id, event: 'client-closed', afterMs: link.clientClosedAt - link.corruptedTime });
      }
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close('client'));
    client.on('error', () => undefined);
    upstream.on('close', close('server'));
    upstream.on('error', () => undefined);
    // A plan armed while no connection was live applies to the next one.
    if (pendingPlans.length > 0) link.plan = pendingPlans.shift();
  });

  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(listenPort, listenHost, () => {
      const port = server.address().port;
      res({
        port,
        stats,
        /** Live connections, oldest first: { id, bytesDown, corrupted }. */
        connections: () => [...links].map((l) => ({ id: l.id, bytesDown: l.down, corrupted: l.corruptedAt >= 0 })),
        /** Corrupts the next byte/field on up to `connections` live connections (oldest first). Returns their ids. */
        arm(plan) {
          const n = plan.connections ?? 1;
          const chosen = [];
          for (const l of links) {
            if (chosen.length >= n) break;
            if (l.plan !== null || l.corruptedAt >= 0) continue;
            l.plan = makePlan(l, plan);
            chosen.push(l.id);
          }
          return chosen;
        },
        /** Arms the next new connection instead. */
        armNext(plan) {
          pendingPlans.push(makePlan({ down: 0 }, plan));
        },
        close() {
          return new Promise((r) => {
            for (const l of links) {
              l.client.destroy();
              l.server.destroy();
            }
            server.close(() => r());
          });
        },
      });
    });
  });
}

function makePlan(link, plan) {
  const after = plan.afterBytes ?? 0;
  if (plan.v4Field !== undefined) {
    if (!(plan.v4Field in V4_FIELD)) throw new Error(`unknown v4 field ${plan.v4Field}`);
    return { v4Field: plan.v4Field, startAfter: link.down + after };
  }
  return { at: link.down + after, xor: (plan.xor ?? 0xff) & 0xff || 0xff };
}

/** Applies the link's plan to the chunk `d` (a copy is made only when a byte changes). */
function corrupt(link, d, stats) {
  const start = link.down;
  link.down += d.length;
  const plan = link.plan;
  // Walk the v4 envelope headers of this chunk (needed to find a header field; cheap otherwise).
  let out = d;
  let pos = 0;
  while (pos < d.length) {
    const streamPos = start + pos;
    if (streamPos < link.nextHeader) {
      pos = Math.min(d.length, link.nextHeader - start);
      continue;
    }
    // Inside a header: collect its 9 bytes.
    const take = Math.min(9 - link.hdrFill, d.length - pos);
    if (plan !== null && plan.v4Field !== undefined && link.hdrFill === 0 && streamPos >= plan.startAfter && link.corruptedAt < 0) {
      plan.headerAt = streamPos;
    }
    d.copy(link.hdr, link.hdrFill, pos, pos + take);
    if (plan !== null && plan.headerAt !== undefined && link.corruptedAt < 0) {
      const fieldPos = plan.headerAt + V4_FIELD[plan.v4Field];
      if (fieldPos >= streamPos && fieldPos < streamPos + take) {
        if (out === d) out = Buffer.from(d);
        const i = fieldPos - start;
        // length: top byte 0x7f (a body far beyond any limit); opcode: 0xee (no such opcode);
        // version: 0x02 (a v2 header, which is 8 bytes); stream: top byte flipped (an id with no request).
        const v = plan.v4Field === 'length' ? 0x7f : plan.v4Field === 'opcode' ? 0xee : plan.v4Field === 'version' ? 0x82 : out[i] ^ 0x40;
        out[i] = v;
        markCorrupted(link, fieldPos, stats);
      }
    }
    link.hdrFill += take;
    pos += take;
    if (link.hdrFill === 9) {
      link.hdrFill = 0;
      const len = link.hdr.readInt32BE(5);
      link.nextHeader = start + pos + Math.max(0, len);
    }
  }
  if (plan !== null && plan.at !== undefined && link.corruptedAt < 0 && plan.at >= start && plan.at < link.down) {
    if (out === d) out = Buffer.from(d);
    out[plan.at - start] ^= plan.xor;
    markCorrupted(link, plan.at, stats);
  }
  return out;
}

function markCorrupted(link, at, stats) {
  link.corruptedAt = at;
  link.corruptedTime = Date.now();
  link.plan = null;
  stats.corrupted++;
  stats.events.push({ link: link.id, event: 'corrupted', at });
}

function parseAddress(a) {
  const m = /^(.*):(\d+)$/.exec(a);
  if (m === null) throw new Error(`bad address ${a} (host:port)`);
  return [m[1], Number(m[2])];
}

// ---- CLI: a standalone proxy that flips one byte of each connection, --after bytes after it is first seen --

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const [lh, lp] = parseAddress(opt('listen', '127.0.0.1:19042'));
  const after = Number(opt('after', 100_000));
  const p = await startCorruptProxy({ target: opt('target', '127.0.0.1:9042'), listenHost: lh, listenPort: lp });
  process.stdout.write(
    `corrupt-proxy: 127.0.0.1:${p.port} -> ${opt('target', '127.0.0.1:9042')}, flipping one byte ${after} bytes into each connection\n`,
  );
  setInterval(() => {
    // arm() skips connections already armed or corrupted: each connection gets exactly one flip.
    p.arm({ afterBytes: after, connections: Infinity });
    process.stdout.write(
      `corrupt-proxy: ${JSON.stringify({ connections: p.stats.connections, corrupted: p.stats.corrupted, closedByClient: p.stats.closedByClientAfterCorruption })}\n`,
    );
  }, 1000);
}
