// The progress lines of the long steps (scripts/progress.mjs, scripts/db.mjs, scripts/vitest-progress.mjs):
// what a user sees while `npm run demo` and `npm test` build, download Cassandra, start it and run test files.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPhaseOf, startPhases } from '../scripts/db.mjs';
import { lineSplitter, mavenDownloaded, ticker, tscProgress } from '../scripts/progress.mjs';
import ProgressReporter from '../scripts/vitest-progress.mjs';

describe('progress: the quiet-step ticker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says "still <step>" after a quiet period, names the current step, and stays silent while touched', () => {
    const said: string[] = [];
    let step = 'resolving';
    const t = ticker(
      (m: string) => said.push(m),
      () => step,
      10_000,
    );
    vi.advanceTimersByTime(9_000);
    expect(said).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(said).toEqual(['still resolving (10 s)']);
    step = 'downloading';
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(5_000);
      t.touch();
    }
    expect(said).toHaveLength(1);
    vi.advanceTimersByTime(10_000);
    expect(said[1]).toBe('still downloading (45 s)');
    t.stop();
    vi.advanceTimersByTime(60_000);
    expect(said).toHaveLength(2);
  });
});

describe('progress: line splitting', () => {
  it('hands over whole lines across chunk boundaries, CRLF included, and the last partial line on flush', () => {
    const got: string[] = [];
    const s = lineSplitter((l: string) => got.push(l));
    s.push('one\r\ntw');
    s.push('o\nthr');
    expect(got).toEqual(['one', 'two']);
    s.flush();
    expect(got).toEqual(['one', 'two', 'thr']);
  });
});

describe('progress: the build (tsc -b --verbose)', () => {
  const root = '/repo';
  const verbose = [
    '1:58:35 PM - Projects in this build: ',
    '    * packages/core/tsconfig.json',
    '    * packages/client/tsconfig.json',
    '    * tsconfig.json',
    '',
    "1:58:35 PM - Project 'packages/core/tsconfig.json' is out of date because output file 'packages/core/dist/.tsbuildinfo' does not exist",
    '',
    "1:58:35 PM - Building project '/repo/packages/core/tsconfig.json'...",
    '',
    "packages/core/src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    "1:58:50 PM - Project 'packages/client/tsconfig.json' is up to date because newest input 'packages/client/src/types.ts' is older than output 'packages/client/dist/.tsbuildinfo'",
  ];

  it('names the project being compiled, passes diagnostics through, and sums up', () => {
    const said: string[] = [];
    const printed: string[] = [];
    const p = tscProgress(
      root,
      (m: string) => said.push(m),
      (l: string) => printed.push(l),
    );
    for (const l of verbose) p.line(l);
    p.end(0);
    expect(said[0]).toBe('compiling packages/core (project 1 of 3) ...');
    expect(said[1]).toMatch(/^packages\/core compiled in \d+ s$/);
    expect(said[2]).toMatch(/^done in \d+ s \(1 compiled, 1 up to date\)$/);
    expect(printed).toEqual(["packages/core/src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'."]);
  });

  it('says "up to date" when nothing compiled, and claims no success when tsc failed', () => {
    const said: string[] = [];
    const q = tscProgress(
      root,
      (m: string) => said.push(m),
      () => {},
    );
    q.line(verbose[10]!);
    q.end(0);
    expect(said).toEqual([expect.stringMatching(/^up to date \(\d+ s\)$/)]);
    const failed: string[] = [];
    const f = tscProgress(
      root,
      (m: string) => failed.push(m),
      () => {},
    );
    f.line(verbose[7]!);
    f.end(2);
    expect(failed).toEqual(['compiling packages/core ...']);
  });
});

describe('progress: the Maven download', () => {
  it("reads the file and its size from Maven's transfer lines, and ignores the rest", () => {
    expect(
      mavenDownloaded(
        'Downloaded from central: https://repo.maven.apache.org/maven2/com/google/guava/guava/32.1.2-jre/guava-32.1.2-jre.jar (3.0 MB at 1.2 MB/s)',
      ),
    ).toEqual({
      file: 'guava-32.1.2-jre.jar',
      bytes: 3_000_000,
    });
    expect(mavenDownloaded('Downloaded from central: https://repo.maven.apache.org/maven2/org/x/x/1/x-1.pom (2.5 kB at 40 kB/s)')).toEqual({
      file: 'x-1.pom',
      bytes: 2500,
    });
    expect(mavenDownloaded('[INFO] Downloaded from central: https://r/a/b-1.jar (812 B at 9.1 kB/s)')).toEqual({
      file: 'b-1.jar',
      bytes: 812,
    });
    expect(mavenDownloaded('Downloading from central: https://repo.maven.apache.org/maven2/org/x/x/1/x-1.jar')).toBeNull();
    expect(mavenDownloaded('[INFO] BUILD SUCCESS')).toBeNull();
  });
});

describe("progress: a Cassandra node's start phases (system.log)", () => {
  // Lines of a Cassandra 5.0.9 start on the test bed, abridged, in their order; the rest of the log says nothing.
  const log = [
    'INFO  [main] 2026-12-02 13:36:30,871 YamlConfigurationLoader.java:103 - Configuration location: file:/x/.db/node1/conf/cassandra.yaml',
    'INFO  [main] 2026-12-02 13:36:33,252 CassandraDaemon.java:609 - JVM vendor/version: OpenJDK 64-Bit Server VM/17.0.15',
    'INFO  [main] 2026-12-02 13:36:36,362 ColumnFamilyStore.java:502 - Initializing system.IndexInfo',
    'INFO  [main] 2026-12-02 13:36:38,660 ColumnFamilyStore.java:502 - Initializing system.batches',
    'INFO  [main] 2026-12-02 13:36:39,323 ColumnFamilyStore.java:502 - Initializing system_schema.keyspaces',
    'INFO  [main] 2026-12-02 13:36:40,564 CommitLog.java:201 - No commitlog files found; skipping replay',
    'INFO  [main] 2026-12-02 13:36:40,920 InboundConnectionInitiator.java:164 - Listening on address: (/127.0.0.1:7000), nic: lo, encryption: unencrypted',
    'INFO  [main] 2026-12-02 13:36:41,156 StorageService.java:1216 - Starting up server gossip',
    'INFO  [main] 2026-12-02 13:36:44,274 StorageService.java:2086 - JOINING: Finish joining ring',
    'INFO  [main] 2026-12-02 13:36:44,461 StorageService.java:3320 - Node /127.0.0.1:7000 state jump to NORMAL',
    'INFO  [main] 2026-12-02 13:36:44,656 PipelineConfigurator.java:148 - Starting listening for CQL clients on /127.0.0.1:9042 (unencrypted)...',
    'INFO  [main] 2026-12-02 13:36:44,675 CassandraDaemon.java:744 - Startup complete',
  ];

  it('names each milestone once, in the order Cassandra reaches them', () => {
    const phases: string[] = [];
    for (const l of log) {
      const p = startPhaseOf(l);
      if (p && !phases.includes(p)) phases.push(p);
    }
    expect(phases).toEqual([
      'configuration read',
      'opening the system keyspace',
      'loading the schema',
      'commit log replayed',
      'internode port open',
      'gossip started',
      'joining the ring',
      'in the ring (NORMAL)',
      'opening the CQL port',
      'startup complete',
    ]);
  });
});

describe("progress: following a starting node's system.log", () => {
  it('reports each milestone once as the log grows between polls, and nothing before the log exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shardcql-start-'));
    const file = join(dir, 'system.log');
    const said: string[] = [];
    const p = startPhases(file, Date.now(), (m: string) => said.push(m));
    try {
      p.poll();
      expect(said).toEqual([]);
      appendFileSync(
        file,
        'INFO  [main] 2026-12-02 13:36:30,871 YamlConfigurationLoader.java:103 - Configuration location: file:/x.yaml\nINFO  [main] 2026-12-02 13:36:36,362 ColumnFamilyStore.java:502 - Initia',
      );
      p.poll();
      expect(said).toEqual([expect.stringMatching(/^configuration read \([\d.]+ s\)$/)]);
      // The rest of a line cut between two polls, and a second line of the same phase.
      appendFileSync(
        file,
        'lizing system.IndexInfo\nINFO  [main] 2026-12-02 13:36:38,660 ColumnFamilyStore.java:502 - Initializing system.batches\n',
      );
      p.poll();
      p.poll();
      expect(said.map((m) => m.replace(/ \([\d.]+ s\)$/, ''))).toEqual(['configuration read', 'opening the system keyspace']);
    } finally {
      p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('progress: the vitest reporter', () => {
  let out: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('names each file as it starts, and which files still run when the run has been quiet', () => {
    const r = new ProgressReporter();
    const mod = (f: string) => ({ relativeModuleId: f });
    r.onTestRunStart([{}, {}]);
    r.onTestModuleStart(mod('a.test.ts'));
    r.onTestModuleStart(mod('b.test.ts'));
    vi.advanceTimersByTime(5_000);
    r.onTestModuleEnd(mod('a.test.ts'));
    vi.advanceTimersByTime(10_000);
    r.onTestRunEnd();
    vi.advanceTimersByTime(60_000);
    expect(out).toEqual([
      'test: 2 test files to run\n',
      'test: [1/2] a.test.ts ...\n',
      'test: [2/2] b.test.ts ...\n',
      'test: still running b.test.ts (15 s)\n',
    ]);
  });
});
