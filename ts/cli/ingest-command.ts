import { Database } from '../duckdb/database';
import { LogIngester, formatProblem } from '../logs/ingest';
import { ensureConnPacketsView } from '../pcap/conn-packets';

export async function ingestCommand(paths: string[], options: { db: string; quiet?: boolean; keepOrder?: boolean }): Promise<void> {
  const db = await Database.open(options.db);
  try {
    const summary = await LogIngester.ingest(db, paths, { keepOrder: options.keepOrder });
    await ensureConnPacketsView(db); // conn meets the packet index, whichever came first
    for (const p of summary.problems) process.stderr.write(formatProblem(p) + '\n');
    if (!options.quiet) {
      const tables = Object.entries(summary.rowsByLog).map(([log, rows]) => `${log} ${rows}`).join(', ');
      process.stdout.write(`ingested ${summary.filesIngested} files, ${summary.rows} rows` +
        `${tables ? ` (${tables})` : ''}; ${summary.filesSkipped} already known\n`);
    }
    if (summary.problems.some(p => p.severity === 'error')) process.exitCode = 1;
  } finally {
    db.close();
  }
}
