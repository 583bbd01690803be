import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../duckdb/database';
import { LogTables } from '../duckdb/log-tables';
import { exportLogs } from '../logs/export';
import { openSink } from '../sinks';

export async function exportCommand(options: { db: string; format: 'parquet' | 'arrow'; out: string; log?: string[] }): Promise<void> {
  if (!existsSync(options.db)) throw new Error(`no database at '${options.db}'`);
  const db = await Database.open(options.db, { access_mode: 'read_only' });
  const sink = await openSink(options.format, options.out);
  const problems: string[] = [];
  try {
    const rows = await exportLogs(db, sink, options.log, problems);
    const tables = await LogTables.open(db);
    const ext = options.format === 'parquet' ? 'parquet' : 'arrows';
    for (const [log, n] of Object.entries(rows)) process.stdout.write(`${join(options.out, `${tables.tableOf(log)}.${ext}`)}: ${n} rows\n`);
  } finally {
    await sink.close();
    db.close();
  }
  for (const p of problems) process.stderr.write(`error: ${p}\n`);
  if (problems.length) process.exitCode = 1;
}
