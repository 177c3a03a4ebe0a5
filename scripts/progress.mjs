// Progress for the long steps of `npm run demo`, `npm test` and `npm run db` (the build, the Maven download,
// a Cassandra start, the test files): each step says what it is doing as it goes, and a step that has printed
// nothing for QUIET_MS says "still ..." so that no step is silent for long. Node built-ins only: db.mjs uses it
// before `npm ci` has installed anything.

import { relative } from 'node:path';

/** The longest a step stays silent before it prints a "still ..." line. */
export const QUIET_MS = Number(process.env.SHARDCQL_PROGRESS_QUIET_MS || 10_000);

export const secs = (ms) => `${Math.round(ms / 1000)} s`;

/**
 * Prints `still <what()> (<elapsed>)` through `say` whenever nothing called touch() for QUIET_MS (without the
 * elapsed time when `withElapsed` is false). `what` is a function so the line names the current sub-step.
 * The timer never keeps the process alive.
 */
export function ticker(say, what, quietMs = QUIET_MS, withElapsed = true) {
  const t0 = Date.now();
  let last = t0;
  const timer = setInterval(
    () => {
      const now = Date.now();
      if (now - last < quietMs) return;
      last = now;
      say(withElapsed ? `still ${what()} (${secs(now - t0)})` : `still ${what()}`);
    },
    Math.min(1000, quietMs),
  );
  timer.unref();
  return {
    touch() {
      last = Date.now();
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Splits a stream of chunks into lines; `flush()` hands over a last line without a newline. */
export function lineSplitter(onLine) {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk;
      let i;
      while ((i = rest.indexOf('\n')) >= 0) {
        onLine(rest.slice(0, i).replace(/\r$/, ''));
        rest = rest.slice(i + 1);
      }
    },
    flush() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

// `tsc -b --verbose` (non-pretty) status lines: "1:58:35 PM - Building project '/abs/packages/core/tsconfig.json'...".
// The time format follows the locale, so only the " - " after it is relied on.
const TSC_STATUS = /^\[?[0-9][^\]\s]*(?: [AP]M)?\]? - (.*)$/;

/**
 * Turns `tsc -b --verbose --pretty false` output into short build lines: which project compiles, how long each
 * took, which were up to date. Diagnostics (anything that is not a status line) pass through unchanged.
 * Returns { line(text), end(exitCode) }; `say` prints one line, `print` passes a diagnostic line on.
 */
export function tscProgress(root, say, print) {
  const t0 = Date.now();
  let current = null; // { name, t0 }
  let total = 0;
  let compiled = 0;
  let upToDate = 0;
  let inList = false;
  const nameOf = (p) => {
    const r = relative(root, p).replace(/\/?tsconfig\.json$/, '');
    return r || '.';
  };
  const finishCurrent = () => {
    if (!current) return;
    say(`${current.name} compiled in ${secs(Date.now() - current.t0)}`);
    current = null;
  };
  const tick = ticker(say, () => (current ? `compiling ${current.name}` : 'checking what to compile'));
  return {
    line(text) {
      tick.touch();
      const m = TSC_STATUS.exec(text);
      if (!m) {
        if (inList && /^\s+\* /.test(text)) {
          total++;
          return;
        }
        inList = false;
        if (text.trim() === '') return; // tsc separates its status lines with blank ones
        print(text);
        return;
      }
      inList = false;
      const msg = m[1];
      let b;
      if (/^Projects in this build:/.test(msg)) {
        inList = true;
      } else if ((b = /^Building project '(.+)'\.\.\.$/.exec(msg))) {
        finishCurrent();
        compiled++;
        current = { name: nameOf(b[1]), t0: Date.now() };
        say(`compiling ${current.name}${total ? ` (project ${compiled + upToDate} of ${total})` : ''} ...`);
      } else if (/^Project '.+' is up to date/.test(msg)) {
        upToDate++;
      }
      // Other status lines ("is out of date because ...", "Updating unchanged output timestamps ...") say
      // nothing a user needs; the next "compiling" line follows at once.
    },
    end(code) {
      tick.stop();
      if (code === 0) finishCurrent();
      current = null;
      const ms = Date.now() - t0;
      if (code === 0) say(compiled ? `done in ${secs(ms)} (${compiled} compiled, ${upToDate} up to date)` : `up to date (${secs(ms)})`);
    },
  };
}

const UNIT = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };

/**
 * Parses Maven's transfer lines (printed without -q; `-B` only drops the in-place meter):
 * "Downloaded from central: https://repo.maven.apache.org/.../guava-32.1.2-jre.jar (3.0 MB at 1.2 MB/s)".
 * Returns { file, bytes } or null.
 */
export function mavenDownloaded(line) {
  const m = /Downloaded from [^:]+: (\S+) \(([\d.]+) (B|kB|KB|MB|GB)(?: at [^)]*)?\)/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
  if (!m) return null;
  return { file: m[1].slice(m[1].lastIndexOf('/') + 1), bytes: Math.round(Number(m[2]) * UNIT[m[3]]) };
}

export function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
