#!/usr/bin/env node
// `npm run demo`: builds the packages, starts a real Cassandra 5.0 (scripts/db.mjs), connects, creates a
// keyspace and a table, writes rows (prepared statements and a batch), reads them back page by page,
// prints them, and stops Cassandra again, whatever happens. A Cassandra that was already running is
// used and left running.
//
//   node scripts/demo.mjs [--no-build]

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as db from './db.mjs';
import { lineSplitter, tscProgress } from './progress.mjs';

// The client the demo drives: shardcql's facade, written exactly as a `cassandra-driver` program (execute
// with prepare, batch, paging). Set SHARDCQL_DEMO_CLIENT=cassandra-driver to run the same code on DataStax's.
const CLIENT_MODULE = process.env.SHARDCQL_DEMO_CLIENT || '@shardcql/client';

const KEYSPACE = 'shardcql_demo';
const say = (msg) => process.stdout.write(`demo: ${msg}\n`);

async function demo() {
  const require = createRequire(import.meta.url);
  const { Client, types } = require(CLIENT_MODULE);
  const client = new Client({ contactPoints: [db.hostOf(1)], localDataCenter: 'dc1', protocolOptions: { port: db.NATIVE_PORT } });
  await client.connect();
  try {
    say(`connected with ${CLIENT_MODULE} to ${db.hostOf(1)}:${db.NATIVE_PORT}`);
    const local = (await client.execute('SELECT release_version, data_center FROM system.local')).first();
    say(`server: Apache Cassandra ${local.release_version}, data center ${local.data_center}`);

    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await client.execute(`DROP TABLE IF EXISTS ${KEYSPACE}.readings`);
    await client.execute(
      `CREATE TABLE ${KEYSPACE}.readings (sensor text, at timestamp, value double, tags set<text>, PRIMARY KEY (sensor, at)) WITH CLUSTERING ORDER BY (at DESC)`,
    );
    say(`created keyspace ${KEYSPACE} and table ${KEYSPACE}.readings`);

    const insert = `INSERT INTO ${KEYSPACE}.readings (sensor, at, value, tags) VALUES (?, ?, ?, ?)`;
    const base = Date.UTC(2025, 0, 1, 12, 0, 0);
    // Single prepared writes ...
    for (let i = 0; i < 6; i++) {
      await client.execute(insert, ['kitchen', new Date(base + i * 60_000), 20 + i * 0.25, ['indoor']], { prepare: true });
    }
    // ... and one logged batch of prepared writes to another partition.
    const batch = [];
    for (let i = 0; i < 6; i++) {
      batch.push({ query: insert, params: ['garden', new Date(base + i * 60_000), 5 - i * 0.5, ['outdoor', 'north']] });
    }
    await client.batch(batch, { prepare: true });
    say('wrote 12 rows (6 prepared INSERTs + a batch of 6)');

    // Read back with a small page size, so the rows arrive over several pages.
    const rs = await client.execute(`SELECT sensor, at, value, tags FROM ${KEYSPACE}.readings WHERE sensor IN ?`, [['kitchen', 'garden']], {
      prepare: true,
      fetchSize: 5,
    });
    let count = 0;
    say('sensor   | at                       | value | tags');
    for await (const row of rs) {
      count++;
      say(`${row.sensor.padEnd(8)} | ${row.at.toISOString()} | ${row.value.toFixed(2).padStart(5)} | ${[...(row.tags ?? [])].join(',')}`);
    }
    const agg = (
      await client.execute(`SELECT count(*) AS n, max(value) AS hi FROM ${KEYSPACE}.readings WHERE sensor = ?`, ['kitchen'], {
        prepare: true,
      })
    ).first();
    say(`read ${count} rows in pages of 5; kitchen: ${types.Long.fromValue(agg.n).toString()} rows, max ${agg.hi}`);
    if (count !== 12) throw new Error(`expected 12 rows, read ${count}`);
    await client.execute(`DROP KEYSPACE ${KEYSPACE}`);
  } finally {
    await client.shutdown();
  }
}

/** `tsc -b`, reporting which package compiles and for how long (a first build takes about a minute). */
function build() {
  return new Promise((resolve) => {
    const tsc = join(db.ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const child = spawn(process.execPath, [tsc, '-b', '--verbose', '--pretty', 'false'], {
      cwd: db.ROOT,
      stdio: ['inherit', 'pipe', 'pipe'],
    });
    const progress = tscProgress(
      db.ROOT,
      (m) => say(`build: ${m}`),
      (l) => process.stdout.write(`${l}\n`),
    );
    const lines = lineSplitter((l) => progress.line(l));
    child.stdout.setEncoding('utf8').on('data', (c) => lines.push(c));
    child.stderr.setEncoding('utf8').on('data', (c) => lines.push(c));
    child.on('error', (e) => {
      process.stderr.write(`demo: cannot run tsc: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code) => {
      lines.flush();
      progress.end(code);
      resolve(code ?? 1);
    });
  });
}

async function main() {
  const args = process.argv.slice(2);
  for (const a of args) {
    if (a !== '--no-build') {
      process.stderr.write(`demo: unknown option '${a}'\nusage: node scripts/demo.mjs [--no-build]\n`);
      return 2;
    }
  }
  if (!args.includes('--no-build')) {
    say('building: tsc -b');
    if ((await build()) !== 0) {
      process.stderr.write('demo: the build failed\n');
      return 1;
    }
  }
  let weStarted = false;
  let stopping = null;
  const stopOurs = () => {
    if (!weStarted) return Promise.resolve();
    weStarted = false;
    stopping = db.stop();
    return stopping;
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      // During db.start() the launcher handles the signal (stops what it started and throws).
      if (weStarted) stopOurs().finally(() => process.exit(130));
    });
  }
  try {
    const { alreadyRunning } = await db.start({ nodes: 1, dcs: 1, auth: false, tls: false, keepData: false });
    weStarted = !alreadyRunning;
    await demo();
    say('done');
    return 0;
  } catch (e) {
    process.stderr.write(`demo: failed: ${e instanceof db.DbError ? e.message : e.stack || e}\n`);
    return e instanceof db.DbError ? e.exitCode : 1;
  } finally {
    await stopOurs();
  }
}

main().then((code) => process.exit(code));
