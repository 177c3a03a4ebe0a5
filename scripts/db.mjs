#!/usr/bin/env node
// The Cassandra test bed: fetches Apache Cassandra 5.0 from Maven Central, writes one config per node,
// starts 1 or 3 real nodes on 127.0.0.1..3 (JDK 17, bounded heap) and stops exactly what it started.
//
//   node scripts/db.mjs fetch
//   node scripts/db.mjs start [--nodes 1|2|3] [--dcs 1|2] [--auth] [--tls] [--keep-data]
//   node scripts/db.mjs status [--json]
//   node scripts/db.mjs logs [--node N] [--lines N]
//   node scripts/db.mjs stop
//
// Plain Node ESM, node built-ins only, so it runs before `npm ci` has finished anything.
// Also imported by scripts/test.mjs and scripts/demo.mjs (see the exports at the bottom).
//
// Why jars rather than the tarball: Maven Central's `org.apache.cassandra:apache-cassandra` stops at
// 4.0-alpha2 (no 5.0.x `tar.gz:bin` exists there), so we resolve `cassandra-all` and its runtime
// dependencies with `mvn dependency:copy-dependencies` and launch `CassandraDaemon` ourselves with the
// flags of the distribution's `conf/jvm-server.options` + `conf/jvm17-server.options` and the jamm agent
// that `bin/cassandra.in.sh` adds. The config files (cassandra.yaml, logback.xml, rackdc) are generated.

import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  rmSync,
  readdirSync,
  renameSync,
  openSync,
  closeSync,
  readSync,
} from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lineSplitter, mavenDownloaded, megabytes, ticker } from './progress.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Latest 5.0.x on Maven Central (cassandra-all maven-metadata.xml) when this was written.
export const CASSANDRA_VERSION = process.env.CASSANDRA_VERSION || '5.0.9';
const CACHE_DIR = join(ROOT, '.cache', 'cassandra', CASSANDRA_VERSION);
const LIB_DIR = join(CACHE_DIR, 'lib');
const COMPLETE_MARK = join(CACHE_DIR, '.complete');
// Node directories, pid files and cluster.json; SHARDCQL_DB_DIR moves them (the jar cache stays put).
export const DB_DIR = process.env.SHARDCQL_DB_DIR ? resolve(process.env.SHARDCQL_DB_DIR) : join(ROOT, '.db');
const STATE_FILE = join(DB_DIR, 'cluster.json');
const TLS_DIR = join(DB_DIR, 'tls');
const TLS_PASSWORD = 'cassandra';

export const NATIVE_PORT = 9042;
const STORAGE_PORT = 7000;
const MAX_NODES = 3;
// Max heap bounded; the initial heap stays small because Cassandra mlockall()s (as root) what is committed
// at start, which with -Xms = -Xmx made every node's RSS the whole heap plus ~450 MiB.
const HEAP = process.env.SHARDCQL_DB_HEAP || '768M';
const INITIAL_HEAP = process.env.SHARDCQL_DB_INITIAL_HEAP || '256M';
const NODE_START_TIMEOUT_MS = Number(process.env.SHARDCQL_DB_START_TIMEOUT_MS || 180_000);
const STOP_TIMEOUT_MS = 30_000;
// Short ring delay (default 30 s): a test cluster starts empty on loopback, where gossip converges in
// about a second. The seed (node1) waits it out with nobody to learn from, so it gets the shortest.
const ringDelayMs = (n) => (n === 1 ? 1_000 : 3_000);
export const DEFAULT_CREDENTIALS = { username: 'cassandra', password: 'cassandra' };

export class DbError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.name = 'DbError';
    this.exitCode = exitCode;
  }
}

const log = (msg) => process.stdout.write(`db: ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

export const hostOf = (n) => `127.0.0.${n}`;
const nodeDir = (n) => join(DB_DIR, `node${n}`);
const pidFile = (n) => join(nodeDir(n), 'cassandra.pid');
export const systemLog = (n) => join(nodeDir(n), 'logs', 'system.log');
const stdoutLog = (n) => join(nodeDir(n), 'logs', 'stdout.log');

// ---------------------------------------------------------------------------------------------------
// JDK

function javaMajor(javaBin) {
  const r = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr + r.stdout);
  if (!m) return null;
  // Java 8 and older print "1.8.0_x".
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

/** Finds a JDK 17: SHARDCQL_JAVA_HOME (exclusive), JAVA_HOME, the Debian path, /usr/lib/jvm/*17*, PATH. */
export function findJava() {
  const candidates = [];
  if (process.env.SHARDCQL_JAVA_HOME) {
    candidates.push(join(process.env.SHARDCQL_JAVA_HOME, 'bin', 'java'));
  } else {
    if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
    candidates.push('/usr/lib/jvm/java-17-openjdk-amd64/bin/java');
    try {
      for (const d of readdirSync('/usr/lib/jvm')) if (/17/.test(d)) candidates.push(join('/usr/lib/jvm', d, 'bin', 'java'));
    } catch {
      /* no /usr/lib/jvm: fine, try PATH */
    }
    candidates.push('java');
  }
  const seen = [];
  for (const c of candidates) {
    if (c !== 'java' && !existsSync(c)) continue;
    const major = javaMajor(c);
    if (major === null) continue;
    seen.push(`${c} (Java ${major})`);
    // Cassandra 5.0 runs on Java 11 and 17 only (bin/cassandra.in.sh refuses others); we use 17.
    if (major === 17) {
      const bin = c === 'java' ? resolveOnPath('java') : c;
      return { java: bin, keytool: join(dirname(bin), 'keytool'), major };
    }
  }
  throw new DbError(
    `no JDK 17 found (Cassandra 5.0 needs Java 17). ` +
      (seen.length ? `Found only: ${seen.join(', ')}. ` : 'No java executable found. ') +
      `Install one (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME to a JDK 17.`,
    3,
  );
}

function resolveOnPath(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  if (!p) return cmd;
  // /usr/bin/java is usually an alternatives symlink; keytool lives beside the real binary.
  const rr = spawnSync('readlink', ['-f', p], { encoding: 'utf8' });
  return rr.stdout.trim() || p;
}

// ---------------------------------------------------------------------------------------------------
// Fetch (Maven Central, once)

function pomXml(version) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/db.mjs: resolves Apache Cassandra ${version} and its runtime jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.shardcql</groupId>
  <artifactId>cassandra-testbed</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

export function isFetched() {
  return existsSync(COMPLETE_MARK) && existsSync(join(LIB_DIR, `cassandra-all-${CASSANDRA_VERSION}.jar`));
}

/** Downloads Cassandra's jars into .cache/cassandra/<version>/lib unless already there, reporting progress. */
export async function fetchCassandra() {
  if (isFetched()) {
    log(`Cassandra ${CASSANDRA_VERSION} already in ${rel(LIB_DIR)}`);
    return { cached: true, ms: 0 };
  }
  const mvnCheck = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvnCheck.error) {
    throw new DbError('Maven (mvn) not found on PATH; install Maven 3 (Debian/Ubuntu: apt-get install maven).', 3);
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const pom = join(CACHE_DIR, 'pom.xml');
  writeFileSync(pom, pomXml(CASSANDRA_VERSION));
  const tmp = join(CACHE_DIR, 'lib.partial');
  rmSync(tmp, { recursive: true, force: true });
  log(`fetching Cassandra ${CASSANDRA_VERSION} (org.apache.cassandra:cassandra-all + runtime deps, about 70 MB) from Maven Central ...`);
  const t0 = Date.now();
  // Not -q: Maven's "Downloaded from ..." lines (kept by -B, which only drops the in-place meter) give the
  // progress, summed here into one line every few seconds instead of ~300 lines of poms and jars.
  const { code, output, bytes, files } = await new Promise((resolveP) => {
    const child = spawn('mvn', ['-B', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = [];
    let bytes = 0;
    let files = 0;
    let lastFile = '';
    let lastSaid = Date.now();
    const say = (m) => log(`fetch: ${m}`);
    const tick = ticker(say, () => (files ? `downloading (${files} files, ${megabytes(bytes)} so far)` : 'resolving dependencies'));
    let copied = 0;
    const lines = lineSplitter((l) => {
      if (output.length < 5000) output.push(l);
      const d = mavenDownloaded(l);
      if (d) {
        files++;
        bytes += d.bytes;
        lastFile = d.file;
      } else if (/\bCopying \S+\.jar to /.test(l)) {
        copied++;
      } else return;
      if (Date.now() - lastSaid >= 3000) {
        lastSaid = Date.now();
        tick.touch();
        say(copied ? `${copied} jars copied into place` : `${files} files, ${megabytes(bytes)} downloaded (${lastFile})`);
      }
    });
    child.stdout.setEncoding('utf8').on('data', (c) => lines.push(c));
    child.stderr.setEncoding('utf8').on('data', (c) => lines.push(c));
    const done = (code) => {
      tick.stop();
      lines.flush();
      resolveP({ code, output, bytes, files });
    };
    child.on('error', (e) => {
      output.push(e.message);
      done(null);
    });
    child.on('close', (c) => done(c));
  });
  const ms = Date.now() - t0;
  if (code !== 0 || !existsSync(join(tmp, `cassandra-all-${CASSANDRA_VERSION}.jar`))) {
    rmSync(tmp, { recursive: true, force: true });
    const out = output.filter((l) => /ERROR|Could not|resolve/.test(l)).slice(0, 8);
    throw new DbError(
      `download of Cassandra ${CASSANDRA_VERSION} from Maven Central failed (mvn exit ${code ?? output[output.length - 1]}).\n` +
        (out.length ? out.map((l) => `  ${l.replace(/\x1b\[[0-9;]*m/g, '')}`).join('\n') + '\n' : '') +
        `  Check network access to repo.maven.apache.org and the version (CASSANDRA_VERSION=${CASSANDRA_VERSION}).`,
      4,
    );
  }
  rmSync(LIB_DIR, { recursive: true, force: true });
  renameSync(tmp, LIB_DIR);
  const jars = readdirSync(LIB_DIR).filter((f) => f.endsWith('.jar'));
  writeFileSync(
    COMPLETE_MARK,
    `${JSON.stringify({ version: CASSANDRA_VERSION, jars: jars.length, fetchedAt: new Date().toISOString(), ms })}\n`,
  );
  log(
    `fetched ${jars.length} jars in ${secs(ms)} into ${rel(LIB_DIR)}${files ? ` (${files} files, ${megabytes(bytes)} downloaded; the rest was in the local Maven repository)` : ' (all from the local Maven repository)'}`,
  );
  return { cached: false, ms };
}

// ---------------------------------------------------------------------------------------------------
// Per-node configuration

function dcOf(n, nodes, dcs) {
  if (dcs === 1) return 'dc1';
  // Two DCs: the first ceil(nodes/2) nodes in dc1 (the "local" DC for routing tests), the rest in dc2.
  return n <= Math.ceil(nodes / 2) ? 'dc1' : 'dc2';
}

function cassandraYaml(n, opts) {
  const dir = nodeDir(n);
  const host = hostOf(n);
  const lines = [
    '# Generated by scripts/db.mjs: fast, throw-away test settings. Do not use in production.',
    `cluster_name: 'shardcql-test'`,
    'num_tokens: 8',
    'allocate_tokens_for_local_replication_factor: 3',
    'partitioner: org.apache.cassandra.dht.Murmur3Partitioner',
    'data_file_directories:',
    `  - ${dir}/data`,
    `commitlog_directory: ${dir}/commitlog`,
    `saved_caches_directory: ${dir}/saved_caches`,
    `hints_directory: ${dir}/hints`,
    `cdc_raw_directory: ${dir}/cdc_raw`,
    'commitlog_sync: periodic',
    'commitlog_sync_period: 10000ms',
    'seed_provider:',
    '  - class_name: org.apache.cassandra.locator.SimpleSeedProvider',
    '    parameters:',
    `      - seeds: "${hostOf(1)}:${STORAGE_PORT}"`,
    `listen_address: ${host}`,
    `rpc_address: ${host}`,
    `storage_port: ${STORAGE_PORT}`,
    `native_transport_port: ${NATIVE_PORT}`,
    'start_native_transport: true',
    'endpoint_snitch: GossipingPropertyFileSnitch',
    'auto_snapshot: false',
    'auto_bootstrap: true',
    // A fresh test cluster has no 4.x nodes to stay compatible with: allow every 5.0 feature.
    'storage_compatibility_mode: NONE',
    'concurrent_compactors: 1',
    'user_defined_functions_enabled: true',
    'materialized_views_enabled: true',
    'sasi_indexes_enabled: true',
    `authenticator: ${opts.auth ? 'PasswordAuthenticator' : 'AllowAllAuthenticator'}`,
    `authorizer: ${opts.auth ? 'CassandraAuthorizer' : 'AllowAllAuthorizer'}`,
    'role_manager: CassandraRoleManager',
  ];
  if (opts.tls) {
    lines.push(
      'client_encryption_options:',
      '  enabled: true',
      '  optional: false',
      `  keystore: ${join(TLS_DIR, 'keystore.p12')}`,
      `  keystore_password: ${TLS_PASSWORD}`,
      '  store_type: PKCS12',
      '  require_client_auth: false',
    );
  }
  return `${lines.join('\n')}\n`;
}

// Our own minimal logback config: everything at INFO into logs/system.log.
const LOGBACK_XML = `<configuration scan="false">
  <appender name="SYSTEMLOG" class="ch.qos.logback.core.FileAppender">
    <file>\${cassandra.logdir}/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="SYSTEMLOG"/></root>
</configuration>
`;

// Flags of Cassandra 5.0's conf/jvm-server.options (minus AlwaysPreTouch and NUMA, which only cost start
// time and memory on a test box) and conf/jvm17-server.options (G1 + the JPMS opens/exports it needs).
const JVM_SERVER_FLAGS = [
  '-ea',
  '-da:net.openhft...',
  '-XX:+UseThreadPriorities',
  '-Xss256k',
  '-XX:+UseTLAB',
  '-XX:+ResizeTLAB',
  '-XX:+PerfDisableSharedMem',
  '-Djava.net.preferIPv4Stack=true',
];
const JVM17_SERVER_FLAGS = [
  '-XX:+UseG1GC',
  '-XX:+ParallelRefProcEnabled',
  '-XX:MaxTenuringThreshold=1',
  '-XX:G1HeapRegionSize=16m',
  '-XX:G1RSetUpdatingPauseTimePercent=5',
  '-XX:MaxGCPauseMillis=300',
  '-XX:InitiatingHeapOccupancyPercent=70',
  '-Djdk.attach.allowAttachSelf=true',
  ...[
    'java.base/jdk.internal.misc',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
    'jdk.compiler/com.sun.tools.javac.file',
    'jdk.attach/sun.tools.attach',
  ].map((m) => `--add-exports=${m}=ALL-UNNAMED`),
  ...[
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.lang.reflect',
    'jdk.compiler/com.sun.tools.javac',
    'java.base/java.lang',
    'java.base/java.util',
  ].map((m) => `--add-opens=${m}=ALL-UNNAMED`),
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dio.netty.allocator.useCacheForAllThreads=true',
  '-Dio.netty.allocator.maxOrder=11',
];

function jvmArgs(n) {
  const dir = nodeDir(n);
  const conf = join(dir, 'conf');
  const jars = readdirSync(LIB_DIR).filter((f) => f.endsWith('.jar'));
  const jamm = jars.find((f) => /^jamm-.*\.jar$/.test(f));
  // conf/ first on the classpath: GossipingPropertyFileSnitch loads cassandra-rackdc.properties from it.
  const classpath = [conf, ...jars.map((j) => join(LIB_DIR, j))].join(':');
  return [
    ...JVM_SERVER_FLAGS,
    ...JVM17_SERVER_FLAGS,
    `-Xms${INITIAL_HEAP}`,
    `-Xmx${HEAP}`,
    '-XX:+HeapDumpOnOutOfMemoryError',
    '-XX:+ExitOnOutOfMemoryError',
    `-XX:HeapDumpPath=${dir}`,
    `-XX:ErrorFile=${dir}/hs_err_%p.log`,
    ...(jamm ? [`-javaagent:${join(LIB_DIR, jamm)}`] : []),
    `-Dcassandra.config=${pathToFileURL(join(conf, 'cassandra.yaml')).href}`,
    `-Dlogback.configurationFile=${pathToFileURL(join(conf, 'logback.xml')).href}`,
    `-Dcassandra.logdir=${join(dir, 'logs')}`,
    `-Dcassandra.storagedir=${dir}`,
    `-Dcassandra.ring_delay_ms=${ringDelayMs(n)}`,
    `-Dcassandra.triggers_dir=${join(conf, 'triggers')}`,
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.consistent.rangemovement=false',
    // The default superuser is created after this delay (10 s by default); tests want it at once.
    '-Dcassandra.superuser_setup_delay_ms=0',
    '-cp',
    classpath,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

function writeNodeConfig(n, opts) {
  const dir = nodeDir(n);
  if (!opts.keepData) rmSync(dir, { recursive: true, force: true });
  for (const sub of ['conf', 'conf/triggers', 'logs', 'data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  const conf = join(dir, 'conf');
  writeFileSync(join(conf, 'cassandra.yaml'), cassandraYaml(n, opts));
  writeFileSync(join(conf, 'cassandra-rackdc.properties'), `dc=${dcOf(n, opts.nodes, opts.dcs)}\nrack=rack1\n`);
  writeFileSync(join(conf, 'logback.xml'), LOGBACK_XML);
}

function makeTlsMaterial(keytool) {
  mkdirSync(TLS_DIR, { recursive: true });
  const ks = join(TLS_DIR, 'keystore.p12');
  const pem = join(TLS_DIR, 'ca.pem');
  if (existsSync(ks) && existsSync(pem)) return pem;
  rmSync(ks, { force: true });
  const san = ['dns:localhost', ...Array.from({ length: MAX_NODES }, (_, i) => `ip:${hostOf(i + 1)}`)].join(',');
  const gen = spawnSync(
    keytool,
    [
      '-genkeypair',
      '-alias',
      'shardcql-test',
      '-keyalg',
      'RSA',
      '-keysize',
      '2048',
      '-validity',
      '3650',
      '-dname',
      'CN=shardcql-test',
      '-ext',
      `SAN=${san}`,
      '-keystore',
      ks,
      '-storetype',
      'PKCS12',
      '-storepass',
      TLS_PASSWORD,
      '-keypass',
      TLS_PASSWORD,
    ],
    { encoding: 'utf8' },
  );
  if (gen.status !== 0) throw new DbError(`keytool -genkeypair failed: ${gen.stderr || gen.error?.message}`);
  const exp = spawnSync(
    keytool,
    ['-exportcert', '-rfc', '-alias', 'shardcql-test', '-keystore', ks, '-storepass', TLS_PASSWORD, '-file', pem],
    { encoding: 'utf8' },
  );
  if (exp.status !== 0) throw new DbError(`keytool -exportcert failed: ${exp.stderr || exp.error?.message}`);
  return pem;
}

// ---------------------------------------------------------------------------------------------------
// Processes

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is dead for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** True when pid is a CassandraDaemon started from node n's directory (guards against PID reuse). */
function isOurNode(pid, n) {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('org.apache.cassandra.service.CassandraDaemon') && cmd.includes(`-Dcassandra.storagedir=${nodeDir(n)}`);
  } catch {
    return isAlive(pid);
  }
}

function readPid(n) {
  try {
    const pid = Number(readFileSync(pidFile(n), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Node numbers that have a pid file. */
function nodesWithPidFiles() {
  if (!existsSync(DB_DIR)) return [];
  return readdirSync(DB_DIR)
    .map((d) => /^node(\d+)$/.exec(d))
    .filter(Boolean)
    .map((m) => Number(m[1]))
    .filter((n) => existsSync(pidFile(n)))
    .sort((a, b) => a - b);
}

/** Running nodes of ours: [{ n, pid }]. Drops pid files of dead or foreign processes. */
export function runningNodes() {
  const out = [];
  for (const n of nodesWithPidFiles()) {
    const pid = readPid(n);
    if (pid && isAlive(pid) && isOurNode(pid, n)) out.push({ n, pid });
    else rmSync(pidFile(n), { force: true });
  }
  return out;
}

export function readState() {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return null;
  }
}

function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function checkPortFree(host, port) {
  return new Promise((resolveP) => {
    const srv = net.createServer();
    srv.once('error', (err) => resolveP(err.code || String(err)));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolveP(null)));
  });
}

function tail(file, lines) {
  try {
    const text = readFileSync(file, 'utf8').split('\n');
    return text.slice(Math.max(0, text.length - lines - 1)).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

async function stopPids(entries, quiet = false) {
  for (const { pid } of entries) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  const t0 = Date.now();
  let left = entries.filter((e) => isAlive(e.pid));
  const tick = ticker(log, () => `stopping ${left.map((e) => `node${e.n}`).join(', ')}`);
  while (left.length && Date.now() < deadline) {
    await sleep(200);
    left = left.filter((e) => isAlive(e.pid));
  }
  tick.stop();
  for (const e of left) {
    if (!quiet) log(`node${e.n} (pid ${e.pid}) ignored SIGTERM for ${secs(STOP_TIMEOUT_MS)}: SIGKILL`);
    try {
      process.kill(e.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  while (left.some((e) => isAlive(e.pid))) await sleep(100);
  for (const e of entries) {
    rmSync(pidFile(e.n), { force: true });
    if (!quiet) log(`stopped node${e.n} (pid ${e.pid})`);
  }
  return Date.now() - t0;
}

// ---------------------------------------------------------------------------------------------------
// A tiny CQL v4 client, enough to probe a node (OPTIONS, STARTUP, PLAIN auth, one-page QUERY).

const OP = {
  ERROR: 0x00,
  STARTUP: 0x01,
  READY: 0x02,
  AUTHENTICATE: 0x03,
  OPTIONS: 0x05,
  SUPPORTED: 0x06,
  QUERY: 0x07,
  RESULT: 0x08,
  AUTH_RESPONSE: 0x0f,
  AUTH_SUCCESS: 0x10,
};

function frame(stream, opcode, body = Buffer.alloc(0)) {
  const h = Buffer.alloc(9);
  h[0] = 0x04; // request, protocol v4
  h[1] = 0;
  h.writeInt16BE(stream, 2);
  h[4] = opcode;
  h.writeUInt32BE(body.length, 5);
  return Buffer.concat([h, body]);
}
const cqlString = (s) => {
  const b = Buffer.from(s, 'utf8');
  const h = Buffer.alloc(2);
  h.writeUInt16BE(b.length);
  return Buffer.concat([h, b]);
};
const cqlLongString = (s) => {
  const b = Buffer.from(s, 'utf8');
  const h = Buffer.alloc(4);
  h.writeInt32BE(b.length);
  return Buffer.concat([h, b]);
};
function cqlStringMap(obj) {
  const parts = [Buffer.alloc(2)];
  parts[0].writeUInt16BE(Object.keys(obj).length);
  for (const [k, v] of Object.entries(obj)) parts.push(cqlString(k), cqlString(v));
  return Buffer.concat(parts);
}

class Reader {
  constructor(buf) {
    this.buf = buf;
    this.pos = 0;
  }
  u16() {
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32() {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  string() {
    const n = this.u16();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  bytes() {
    const n = this.i32();
    if (n < 0) return null;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  stringList() {
    const n = this.u16();
    const out = [];
    for (let i = 0; i < n; i++) out.push(this.string());
    return out;
  }
  stringMultimap() {
    const n = this.u16();
    const out = {};
    for (let i = 0; i < n; i++) {
      const k = this.string();
      out[k] = this.stringList();
    }
    return out;
  }
}

function decodeCell(type, b) {
  if (b === null) return null;
  if (type === 0x0010) return b.length === 4 ? [...b].join('.') : (b.toString('hex').match(/.{4}/g) ?? []).join(':');
  if (type === 0x000d || type === 0x0001) return b.toString('utf8');
  if (type === 0x000c || type === 0x000f) {
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return b.toString('hex');
}

function parseRows(r) {
  const kind = r.i32();
  if (kind !== 2) return [];
  const flags = r.i32();
  const count = r.i32();
  if (flags & 0x0002) r.bytes(); // paging state
  const cols = [];
  if (!(flags & 0x0004)) {
    const global = flags & 0x0001;
    if (global) {
      r.string();
      r.string();
    }
    for (let i = 0; i < count; i++) {
      if (!global) {
        r.string();
        r.string();
      }
      const name = r.string();
      const type = r.u16();
      if (type === 0x0000) r.string();
      if (type >= 0x0020) throw new Error(`probe: collection/udt/tuple columns unsupported (type 0x${type.toString(16)})`);
      cols.push({ name, type });
    }
  }
  const rows = [];
  const n = r.i32();
  for (let i = 0; i < n; i++) {
    const row = {};
    for (const c of cols) row[c.name] = decodeCell(c.type, r.bytes());
    rows.push(row);
  }
  return rows;
}

/**
 * Connects to host:9042, sends OPTIONS then STARTUP (and PLAIN auth if asked), runs `queries`.
 * Resolves { supported, rows: [[...], ...] }; rejects on any error or after timeoutMs.
 * @param {string} host
 * @param {{ port?: number, timeoutMs?: number, credentials?: { username: string, password: string }, caPem?: Buffer | string, queries?: string[] }} [options]
 * @returns {Promise<{ supported: Record<string, string[]>, rows: Array<Array<Record<string, string | null>>> }>}
 */
export function cqlProbe(host, { port = NATIVE_PORT, timeoutMs = 5000, credentials, caPem, queries = [] } = {}) {
  return new Promise((resolveP, rejectP) => {
    const sock = caPem ? tls.connect({ host, port, ca: caPem }) : net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let step = 'options';
    let supported = null;
    const rows = [];
    let qi = 0;
    const timer = setTimeout(() => finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms (at ${step})`)), timeoutMs);
    function finish(err, val) {
      clearTimeout(timer);
      sock.destroy();
      if (err) rejectP(err);
      else resolveP(val);
    }
    const nextQuery = () => {
      if (qi >= queries.length) return finish(null, { supported, rows });
      step = `query ${qi}`;
      const body = Buffer.concat([cqlLongString(queries[qi]), Buffer.from([0x00, 0x01, 0x00])]); // CL ONE, no flags
      sock.write(frame(2 + qi, OP.QUERY, body));
    };
    sock.once(caPem ? 'secureConnect' : 'connect', () => sock.write(frame(0, OP.OPTIONS)));
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error(`connection to ${host}:${port} closed (at ${step})`)));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9) {
        const len = buf.readUInt32BE(5);
        if (buf.length < 9 + len) return;
        const flags = buf[1];
        const opcode = buf[4];
        const r = new Reader(buf.subarray(9, 9 + len));
        buf = buf.subarray(9 + len);
        if (flags & 0x02) r.pos += 16; // tracing id
        if (flags & 0x08) r.stringList(); // warnings
        if (flags & 0x04) {
          const k = r.u16();
          for (let i = 0; i < k; i++) {
            r.string();
            r.bytes();
          }
        }
        try {
          if (opcode === OP.ERROR) {
            const code = r.i32();
            return finish(new Error(`server error 0x${code.toString(16)} at ${step}: ${r.string()}`));
          }
          if (step === 'options') {
            if (opcode !== OP.SUPPORTED) return finish(new Error(`expected SUPPORTED, got opcode ${opcode}`));
            supported = r.stringMultimap();
            step = 'startup';
            sock.write(frame(1, OP.STARTUP, cqlStringMap({ CQL_VERSION: '3.0.0' })));
          } else if (step === 'startup') {
            if (opcode === OP.READY) nextQuery();
            else if (opcode === OP.AUTHENTICATE) {
              if (!credentials) return finish(new Error('server requires authentication'));
              step = 'auth';
              const token = Buffer.from(`\0${credentials.username}\0${credentials.password}`, 'utf8');
              const len4 = Buffer.alloc(4);
              len4.writeInt32BE(token.length);
              sock.write(frame(1, OP.AUTH_RESPONSE, Buffer.concat([len4, token])));
            } else return finish(new Error(`unexpected opcode ${opcode} after STARTUP`));
          } else if (step === 'auth') {
            if (opcode !== OP.AUTH_SUCCESS) return finish(new Error(`unexpected opcode ${opcode} after AUTH_RESPONSE`));
            nextQuery();
          } else {
            if (opcode !== OP.RESULT) return finish(new Error(`unexpected opcode ${opcode} for a query`));
            rows.push(parseRows(r));
            qi++;
            nextQuery();
          }
        } catch (e) {
          return finish(e);
        }
      }
    });
  });
}

function probeOptions(state) {
  const o = {};
  if (state?.auth) o.credentials = DEFAULT_CREDENTIALS;
  if (state?.tls) o.caPem = readFileSync(join(TLS_DIR, 'ca.pem'));
  return o;
}

async function peersSeenBy(n, state) {
  const res = await cqlProbe(hostOf(n), {
    ...probeOptions(state),
    queries: ['SELECT peer, data_center, rack FROM system.peers', 'SELECT data_center, rack FROM system.local'],
  });
  return { peers: res.rows[0], local: res.rows[1][0] };
}

// ---------------------------------------------------------------------------------------------------
// Start progress: a node takes 15-40 s to answer CQL; its system.log says where it is.

// The milestones of a Cassandra 5.0 start, in order, as system.log words them (CassandraDaemon, StorageService,
// PipelineConfigurator); each is reported once, the first time a line matches.
const START_PHASES = [
  [/Configuration location: /, 'configuration read'],
  [/Initializing system\./, 'opening the system keyspace'],
  [/Initializing system_schema\./, 'loading the schema'],
  [/No commitlog files found|Replaying |Log replay complete/, 'commit log replayed'],
  [/Listening on address: /, 'internode port open'],
  [/Starting up server gossip/, 'gossip started'],
  [/JOINING: /, 'joining the ring'],
  [/state jump to NORMAL/, 'in the ring (NORMAL)'],
  [/Starting listening for CQL clients/, 'opening the CQL port'],
  [/Startup complete/, 'startup complete'],
];

/**
 * The start milestone a system.log line marks, or null.
 * @param {string} line
 * @returns {string | null}
 */
export function startPhaseOf(line) {
  for (const [re, phase] of START_PHASES) if (re.test(line)) return phase;
  return null;
}

/**
 * Reports a node's start milestones as they appear in its system.log (read from where the last poll stopped),
 * and a "still starting" line when the log has shown nothing new for a while.
 */
export function startPhases(file, t0, say) {
  const seen = new Set();
  let last = 'JVM starting';
  const tick = ticker(say, () => `starting, last: ${last}`);
  let offset = 0;
  const lines = lineSplitter((l) => {
    const phase = startPhaseOf(l);
    if (!phase || seen.has(phase)) return;
    seen.add(phase);
    last = phase;
    tick.touch();
    say(`${phase} (${secs(Date.now() - t0)})`);
  });
  return {
    poll() {
      let fd;
      try {
        fd = openSync(file, 'r');
      } catch {
        return; // not written yet
      }
      try {
        const buf = Buffer.alloc(64 * 1024);
        let got;
        while ((got = readSync(fd, buf, 0, buf.length, offset)) > 0) {
          offset += got;
          lines.push(buf.toString('latin1', 0, got));
        }
      } finally {
        closeSync(fd);
      }
    },
    stop() {
      tick.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Commands

function parseArgs(argv) {
  const [cmd, ...rest] = argv;
  const opts = { nodes: 1, dcs: 1, auth: false, tls: false, keepData: false, json: false, node: null, lines: 40 };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const num = (name) => {
      const v = rest[++i];
      if (v === undefined || !/^\d+$/.test(v)) throw new DbError(`${name} needs a number`, 2);
      return Number(v);
    };
    if (a === '--nodes') opts.nodes = num('--nodes');
    else if (a.startsWith('--nodes=')) opts.nodes = Number(a.slice(8));
    else if (a === '--dcs') opts.dcs = num('--dcs');
    else if (a.startsWith('--dcs=')) opts.dcs = Number(a.slice(6));
    else if (a === '--auth') opts.auth = true;
    else if (a === '--tls') opts.tls = true;
    else if (a === '--lz4') {
      /* client-side only: Cassandra always offers lz4 */
    } else if (a === '--keep-data') opts.keepData = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--node') opts.node = num('--node');
    else if (a === '--lines') opts.lines = num('--lines');
    else throw new DbError(`unknown option '${a}' for '${cmd}'\n${USAGE}`, 2);
  }
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_NODES) throw new DbError(`--nodes must be 1..${MAX_NODES}`, 2);
  if (opts.dcs !== 1 && opts.dcs !== 2) throw new DbError('--dcs must be 1 or 2', 2);
  if (opts.dcs === 2 && opts.nodes < 2) throw new DbError('--dcs 2 needs at least --nodes 2', 2);
  return { cmd, opts };
}

export const USAGE = `usage: node scripts/db.mjs <command> [options]   (npm run db -- <command> [options])
  fetch                       download Cassandra ${CASSANDRA_VERSION} jars into .cache/ (once)
  start [--nodes 1|2|3] [--dcs 1|2] [--auth] [--tls] [--keep-data]
                              start nodes on 127.0.0.1..N:${NATIVE_PORT}; waits until each answers CQL
                              (--auth: user cassandra/cassandra; --tls: CA in .db/tls/ca.pem;
                              --lz4 is accepted and changes nothing: the server always offers lz4)
  status [--json]             each node: pid alive, CQL answering, RSS, peers it sees
  logs [--node N] [--lines N] where the logs are, and the tail of system.log
  stop                        stop exactly the nodes started here (pid files)`;

const LOCK_FILE = join(DB_DIR, 'start.lock');

/** One `start` at a time: a second one waits for the first, then finds the cluster running. */
async function acquireStartLock() {
  mkdirSync(DB_DIR, { recursive: true });
  const t0 = Date.now();
  let told = false;
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let holder = null;
    try {
      holder = Number(readFileSync(LOCK_FILE, 'utf8').trim()) || null;
    } catch {
      /* vanished between open and read: retry */
    }
    if (holder && !isAlive(holder)) {
      rmSync(LOCK_FILE, { force: true }); // left by a start that was killed
      continue;
    }
    if (!told) {
      log(`another \`db start\` (pid ${holder}) is in progress; waiting for it`);
      told = true;
    }
    if (Date.now() - t0 > MAX_NODES * NODE_START_TIMEOUT_MS + 60_000)
      throw new DbError(`another \`db start\` (pid ${holder}) holds ${rel(LOCK_FILE)}`);
    await sleep(1000);
  }
}

/** Starts the cluster. Resolves { alreadyRunning, state }. */
export async function start(opts) {
  await acquireStartLock();
  try {
    return await startLocked(opts);
  } finally {
    rmSync(LOCK_FILE, { force: true });
  }
}

async function startLocked(opts) {
  const running = runningNodes();
  if (running.length) {
    const st = readState();
    log(`Cassandra is already running (${running.map((r) => `node${r.n} pid ${r.pid}`).join(', ')}); nothing to do.`);
    const want = { nodes: opts.nodes, dcs: opts.dcs, auth: opts.auth, tls: opts.tls };
    if (st && (st.nodes !== want.nodes || st.dcs !== want.dcs || !!st.auth !== want.auth || !!st.tls !== want.tls)) {
      log(
        `note: it runs with --nodes ${st.nodes} --dcs ${st.dcs}${st.auth ? ' --auth' : ''}${st.tls ? ' --tls' : ''}; stop it first to change options.`,
      );
    }
    return { alreadyRunning: true, state: st };
  }
  const jdk = findJava();
  await fetchCassandra();
  for (let n = 1; n <= opts.nodes; n++) {
    for (const port of [NATIVE_PORT, STORAGE_PORT]) {
      const err = await checkPortFree(hostOf(n), port);
      if (err) {
        throw new DbError(
          `port ${hostOf(n)}:${port} is not free (${err}): another Cassandra/ScyllaDB or program holds it.` +
            (err === 'EADDRNOTAVAIL' ? ` ${hostOf(n)} is not a local address (on macOS: sudo ifconfig lo0 alias ${hostOf(n)}).` : ''),
          5,
        );
      }
    }
  }
  mkdirSync(DB_DIR, { recursive: true });
  // Old node dirs beyond the requested count would confuse `status`: remove them.
  for (const d of readdirSync(DB_DIR)) {
    const m = /^node(\d+)$/.exec(d);
    if (m && Number(m[1]) > opts.nodes) rmSync(join(DB_DIR, d), { recursive: true, force: true });
  }
  const caPem = opts.tls ? makeTlsMaterial(jdk.keytool) : null;
  const state = {
    version: CASSANDRA_VERSION,
    nodes: opts.nodes,
    dcs: opts.dcs,
    auth: opts.auth,
    tls: opts.tls,
    caPem: caPem,
    heap: HEAP,
    java: jdk.java,
    startedAt: new Date().toISOString(),
    node: [],
  };
  rmSync(STATE_FILE, { force: true });
  const started = [];
  let interrupted = null;
  const onSignal = (sig) => {
    interrupted = sig;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (let n = 1; n <= opts.nodes; n++) {
      writeNodeConfig(n, opts);
      const out = openSync(stdoutLog(n), 'a');
      const t0 = Date.now();
      const child = spawn(jdk.java, jvmArgs(n), {
        cwd: nodeDir(n),
        detached: true,
        stdio: ['ignore', out, out],
        env: { ...process.env, CASSANDRA_CONF: join(nodeDir(n), 'conf') },
      });
      closeSync(out);
      let exited = null;
      child.on('exit', (code, sig) => {
        exited = sig || `exit code ${code}`;
      });
      child.on('error', (e) => {
        exited = e.message;
      });
      child.unref();
      if (!child.pid) throw new DbError(`could not start ${jdk.java}`);
      writeFileSync(pidFile(n), `${child.pid}\n`);
      started.push({ n, pid: child.pid });
      log(`node${n} ${hostOf(n)} (${dcOf(n, opts.nodes, opts.dcs)}) starting, pid ${child.pid}, log ${rel(systemLog(n))}`);
      const po = {
        credentials: opts.auth ? DEFAULT_CREDENTIALS : undefined,
        caPem: caPem ? readFileSync(caPem) : undefined,
        timeoutMs: 3000,
      };
      let lastErr = null;
      const phases = startPhases(systemLog(n), t0, (m) => log(`node${n}: ${m}`));
      try {
        for (;;) {
          phases.poll();
          if (interrupted) throw new DbError(`interrupted by ${interrupted}`, 130);
          if (exited)
            throw new DbError(
              `node${n} died during start (${exited}). Last lines of ${rel(systemLog(n))}:\n${tail(systemLog(n), 25)}\n${tail(stdoutLog(n), 10)}`,
            );
          if (Date.now() - t0 > NODE_START_TIMEOUT_MS) {
            throw new DbError(
              `node${n} did not answer CQL within ${secs(NODE_START_TIMEOUT_MS)} (last: ${lastErr?.message}). Last lines of ${rel(systemLog(n))}:\n${tail(systemLog(n), 25)}`,
            );
          }
          try {
            await cqlProbe(hostOf(n), po);
            break;
          } catch (e) {
            lastErr = e;
            await sleep(500);
          }
        }
      } finally {
        phases.stop();
      }
      const ms = Date.now() - t0;
      state.node.push({ n, host: hostOf(n), dc: dcOf(n, opts.nodes, opts.dcs), pid: child.pid, startMs: ms, log: systemLog(n) });
      log(`node${n} answers CQL on ${hostOf(n)}:${NATIVE_PORT} after ${secs(ms)}`);
    }
    if (opts.nodes > 1) {
      // Every node must see all the others before tests route across them.
      const t0 = Date.now();
      const tick = ticker(log, () => `waiting for the ${opts.nodes} nodes to see each other`);
      try {
        for (;;) {
          if (interrupted) throw new DbError(`interrupted by ${interrupted}`, 130);
          let ok = true;
          for (let n = 1; n <= opts.nodes && ok; n++) {
            try {
              const { peers } = await peersSeenBy(n, state);
              ok = peers.length === opts.nodes - 1;
            } catch {
              ok = false;
            }
          }
          if (ok) break;
          if (Date.now() - t0 > 60_000) throw new DbError('nodes did not all see each other within 60 s (see `npm run db -- status`)');
          await sleep(1000);
        }
      } finally {
        tick.stop();
      }
    }
    writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
    log(
      `Cassandra ${CASSANDRA_VERSION} is up: ${state.node.map((x) => `${x.host}:${NATIVE_PORT}`).join(', ')}${opts.auth ? ' (user cassandra/cassandra)' : ''}${caPem ? ` (TLS, CA ${rel(caPem)})` : ''}`,
    );
    return { alreadyRunning: false, state };
  } catch (e) {
    if (started.length) {
      log(`start failed: stopping the ${started.length} node(s) started`);
      await stopPids(started, true);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Stops every node with a pid file of ours. Resolves the number stopped. */
export async function stop() {
  const running = runningNodes();
  if (!running.length) {
    log('no Cassandra of ours is running');
    return 0;
  }
  const ms = await stopPids(running);
  log(`stopped ${running.length} node(s) in ${secs(ms)}`);
  return running.length;
}

/** Status of every configured node. */
export async function status() {
  const state = readState();
  const running = new Map(runningNodes().map((r) => [r.n, r.pid]));
  const nodes = [];
  const count = state?.nodes ?? Math.max(0, ...running.keys());
  for (let n = 1; n <= count; n++) {
    const pid = running.get(n) ?? null;
    const entry = {
      n,
      host: hostOf(n),
      pid,
      alive: pid !== null,
      cql: false,
      rssMiB: pid ? rssMiB(pid) : null,
      dc: null,
      peers: null,
      error: null,
      log: systemLog(n),
    };
    if (pid) {
      try {
        const { peers, local } = await peersSeenBy(n, state);
        entry.cql = true;
        entry.dc = local?.data_center ?? null;
        entry.peers = peers.map((p) => `${p.peer} (${p.data_center})`);
      } catch (e) {
        entry.error = e.message;
      }
    }
    nodes.push(entry);
  }
  return { version: state?.version ?? CASSANDRA_VERSION, auth: !!state?.auth, tls: !!state?.tls, nodes };
}

function rel(p) {
  return p.startsWith(ROOT + '/') ? p.slice(ROOT.length + 1) : p;
}

export async function main(argv) {
  const { cmd, opts } = parseArgs(argv);
  switch (cmd) {
    case 'fetch':
      findJava();
      await fetchCassandra();
      return 0;
    case 'start':
      await start(opts);
      return 0;
    case 'stop':
      await stop();
      return 0;
    case 'status': {
      const st = await status();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(st, null, 2)}\n`);
      } else if (!st.nodes.some((x) => x.alive)) {
        log('no Cassandra of ours is running');
      } else {
        for (const x of st.nodes) {
          const parts = [
            `node${x.n} ${x.host}`,
            x.alive ? `pid ${x.pid} alive` : 'not running',
            x.alive ? (x.cql ? `CQL ok (${x.dc})` : `CQL not answering: ${x.error}`) : null,
            x.rssMiB !== null ? `RSS ${x.rssMiB} MiB` : null,
            x.peers ? `sees ${x.peers.length} peer(s)${x.peers.length ? `: ${x.peers.join(', ')}` : ''}` : null,
          ].filter(Boolean);
          log(parts.join(', '));
        }
      }
      return st.nodes.length && st.nodes.every((x) => x.alive && x.cql) ? 0 : 3;
    }
    case 'logs': {
      const state = readState();
      const count = state?.nodes ?? 1;
      for (let n = 1; n <= count; n++) {
        if (opts.node && opts.node !== n) continue;
        log(`node${n}: ${systemLog(n)}`);
        process.stdout.write(`${tail(systemLog(n), opts.lines)}\n`);
      }
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return cmd === undefined ? 2 : 0;
    default:
      throw new DbError(`unknown command '${cmd}'\n${USAGE}`, 2);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`db: error: ${e instanceof DbError ? e.message : e.stack || e}\n`);
      process.exit(e instanceof DbError ? e.exitCode : 1);
    },
  );
}
