import { availableParallelism } from 'node:os';
import type * as Duck from '../duckdb/database';
import { listCaptureFiles } from '../pcap/capture-files';
import { indexCaptures } from '../pcap/indexer';
import { formatCaptureProblem } from '../pcap/problems';
import { ScanWorkers } from '../pcap/scan-workers';
import { progressBar } from './progress-bar';

const MiB = 1 << 20;

export async function indexCommand(paths: string[], options: { db: string; quiet?: boolean; progress?: boolean; jobs?: number }): Promise<void> {
  const { files, unreadable } = await listCaptureFiles(paths);
  for (const message of unreadable) process.stderr.write(`zeek-arrow: ${message}\n`);
  // The scan threads start while DuckDB (~60 ms) loads on this one.
  const workers = files.length ? new ScanWorkers(Math.min(files.length, options.jobs ?? availableParallelism())) : undefined;
  const { Database } = require('../duckdb/database') as typeof Duck;
  const db = await Database.open(options.db).catch(async e => { await workers?.close(); throw e; });
  const bar = progressBar('indexing [{bar}] {percentage}% {value}/{total} MiB {file}', options);
  try {
    const summary = await indexCaptures(db, files, { workers, onProgress: bar.update });
    bar.stop();
    for (const p of summary.problems) process.stderr.write(formatCaptureProblem(p) + '\n');
    if (!options.quiet) {
      process.stdout.write(`indexed ${summary.captures} captures, ${summary.packets} packets, ${summary.flows} flows ` +
        `(${(summary.bytes / MiB).toFixed(1)} MiB); ${summary.skipped} already known\n`);
    }
    if (unreadable.length || summary.problems.some(p => p.severity === 'error')) process.exitCode = 1;
  } finally {
    await workers?.close();
    db.close();
  }
}
