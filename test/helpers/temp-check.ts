// Loaded by mocha before any test (.mocharc.json "require"): the run gets a temp directory of its own (TMPDIR, which
// os.tmpdir() and every child process — Zeek, the zeek-arrow command — read), and the run fails when a test leaves
// anything in it. Other runs on the same machine use /tmp at the same time, so only this run's own directory is looked at.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runDir = mkdtempSync(join(tmpdir(), 'zeek-arrow-run-'));
chmodSync(runDir, 0o1777); // as /tmp is: tests that run a command as another user (setpriv) reach their files in it
process.env.TMPDIR = runDir;

/** Entries in the run's temp directory, and the test during which each first appeared. */
const seenDuring = new Map<string, string>();

export const mochaHooks = {
  afterEach(this: Mocha.Context): void {
    for (const entry of readdirSync(runDir)) {
      if (!seenDuring.has(entry)) seenDuring.set(entry, this.currentTest?.fullTitle() ?? '?');
    }
  },
  afterAll(): void {
    const left = readdirSync(runDir);
    rmSync(runDir, { recursive: true, force: true });
    if (left.length) {
      throw new Error(`tests left ${left.length} entries in their temp directory ${runDir} (removed now):\n` +
        left.map(e => `  ${e} (first seen after "${seenDuring.get(e) ?? 'a before/after hook'}")`).join('\n'));
    }
  },
};
