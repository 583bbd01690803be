import { formatProblem } from '../logs/ingest';
import { ingestLogs } from '../jobs/ingest';

export async function ingestCommand(paths: string[], options: { db: string; quiet?: boolean; keepOrder?: boolean }): Promise<void> {
  const summary = await ingestLogs(options.db, paths, { keepOrder: options.keepOrder });
  for (const p of summary.problems) process.stderr.write(formatProblem(p) + '\n');
  if (!options.quiet) {
    const tables = Object.entries(summary.rowsByLog).map(([log, rows]) => `${log} ${rows}`).join(', ');
    process.stdout.write(`ingested ${summary.filesIngested} files, ${summary.rows} rows` +
      `${tables ? ` (${tables})` : ''}; ${summary.filesSkipped} already known\n`);
  }
  if (summary.problems.some(p => p.severity === 'error')) process.exitCode = 1;
}
