// analyze --follow's run: the loop of ts/spool/follow.ts until Ctrl-C or SIGTERM, with the command's options.
import { Zeek } from '../zeek/find-zeek';
import { FollowSummary, followSpool } from '../spool/follow';
import type { AnalyzeOptions } from './analyze';
import { stopOnSignals } from './analyze-cluster';

/** Follows `dirs` until stopped; `report` takes each status line and problem (all of them when not given: on stderr). */
export async function analyzeFollow(zeek: Zeek, dirs: string[], options: AnalyzeOptions, report?: (line: string) => void):
  Promise<{ summary: FollowSummary; interrupted: boolean }> {
  const stop = new AbortController();
  const release = stopOnSignals(stop);
  try {
    const summary = await followSpool(zeek, dirs, {
      db: options.db, workers: options.workers ?? 1, script: options.script, ignoreChecksums: options.ignoreChecksums,
      settleMs: (options.settle ?? 5) * 1000, replayMicros: (options.replay ?? 600) * 1e6,
      statusMs: (options.statusEvery ?? 10) * 1000,
      report,
      signal: stop.signal,
    });
    return { summary, interrupted: stop.signal.aborted };
  } finally {
    release();
  }
}
