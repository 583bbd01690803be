import { existsSync } from 'node:fs';
import { Database } from '../duckdb/database';
import { exportLogs } from '../logs/export';
import { openSink } from '../sinks';

export async function exportCommand(options: { db: string; format: 'parquet' | 'arrow'; out: string; log?: string[] }): Promise<void> {
  if (!existsSync(options.db)) throw new Error(`no database at '${options.db}'`);
  const db = await Database.open(options.db, { access_mode: 'read_only' });
  const sink = await openSink(options.format, options.out);
  try {
    const rows = await exportLogs(db, sink, options.log);
    const ext = options.format === 'parquet' ? 'parquet' : 'arrows';
    for (const [log, n] of Object.entries(rows)) process.stdout.write(`${options.out}/${log}.${ext}: ${n} rows\n`);
  } finally {
    await sink.close();
    db.close();
  }
}
