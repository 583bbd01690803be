// A capture analyzed before that changed at its path since (it grew: a live or partly copied file) would be read
// again whole, and the log rows of its earlier part stored twice: log rows do not record the capture they came
// from, so the earlier ones cannot be replaced. Such a capture is refused, named, with what to do; the others go on.
import { Database } from '../duckdb/database';
import { PCAP } from '../pcap/index-tables';
import { SortedCaptures } from '../pcap/indexer';
import { CaptureProblem } from '../pcap/types';

/** Takes out of `sorted.fresh` the captures that supersede an analyzed one; a problem for each. */
export async function refuseChangedAnalyzed(db: Database, sorted: SortedCaptures): Promise<CaptureProblem[]> {
  const ids = sorted.fresh.flatMap(c => c.supersedes ?? []);
  if (ids.length === 0) return [];
  const rows = await db.all(`SELECT capture_id, bytes FROM ${PCAP}.captures
    WHERE analyzed_by IS NOT NULL AND capture_id IN (${ids.join(', ')})`);
  const analyzedBytes = new Map(rows.map(r => [Number(r.capture_id), Number(r.bytes)]));
  const problems: CaptureProblem[] = [];
  sorted.fresh = sorted.fresh.filter(capture => {
    const before = (capture.supersedes ?? []).find(id => analyzedBytes.has(id));
    if (before === undefined) return true;
    const bytes = analyzedBytes.get(before)!;
    const change = capture.size > bytes ? `grew from ${bytes} to ${capture.size} bytes` : `changed (${bytes} bytes then, ${capture.size} now)`;
    problems.push({
      file: capture.file, offset: Math.min(bytes, capture.size), severity: 'error',
      message: `${change} since it was analyzed into this database: not analyzed again, as the logs of what was ` +
        'read before would be stored twice (log rows do not record their capture). Analyze it into a new --db, ' +
        'or write what was added to a capture of its own',
    });
    return false;
  });
  return problems;
}
