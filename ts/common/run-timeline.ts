// The phases of a run, for the benchmarks (scripts/bench-analyze.ts): with
// ZEEK_ARROW_TIMELINE naming a file, each mark appends one JSON line to it.
import { appendFileSync } from 'node:fs';

export interface TimelineMark {
  /** Wall clock, ms since the epoch. */
  at: number;
  mark: string;
  /** CPU seconds of this process so far. */
  cpu: number;
}

/** Notes that the run reached `what` (nothing unless ZEEK_ARROW_TIMELINE is set). */
export function mark(what: string): void {
  const file = process.env.ZEEK_ARROW_TIMELINE;
  if (!file) return;
  const { user, system } = process.cpuUsage();
  const line: TimelineMark = { at: Date.now(), mark: what, cpu: (user + system) / 1e6 };
  appendFileSync(file, JSON.stringify(line) + '\n');
}
