// A vitest reporter for `npm test` (scripts/test.mjs), beside the default and json ones: it names each test
// file when it starts (the default reporter, without a TTY, prints a file only when it has finished, and some
// integration files take minutes), and which files are still running when nothing was printed for a while.

import { QUIET_MS, secs, ticker } from './progress.mjs';

const say = (msg) => process.stdout.write(`test: ${msg}\n`);

export default class ProgressReporter {
  constructor() {
    this.running = new Map(); // relative file -> start time
    this.total = 0;
    this.started = 0;
    this.tick = null;
  }

  onTestRunStart(specifications) {
    this.total = specifications.length;
    this.started = 0;
    this.running.clear();
    say(`${this.total} test file${this.total === 1 ? '' : 's'} to run`);
    this.tick?.stop();
    this.tick = ticker(say, () => this.describeRunning(), QUIET_MS, false);
  }

  onTestModuleStart(testModule) {
    this.started++;
    this.running.set(testModule.relativeModuleId, Date.now());
    this.tick?.touch();
    say(`[${this.started}/${this.total}] ${testModule.relativeModuleId} ...`);
  }

  onTestModuleEnd(testModule) {
    this.running.delete(testModule.relativeModuleId);
    this.tick?.touch();
  }

  onTestRunEnd() {
    this.tick?.stop();
    this.tick = null;
  }

  describeRunning() {
    if (!this.running.size) return `collecting (${this.started} of ${this.total} files started)`;
    const now = Date.now();
    return `running ${[...this.running].map(([f, t0]) => `${f} (${secs(now - t0)})`).join(', ')}`;
  }
}
