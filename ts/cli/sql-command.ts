import { existsSync } from 'node:fs';
import { copyCsvTo } from '../duckdb/csv-out';
import { Database } from '../duckdb/database';
import { OutputFormat, writeResult } from './result-format';

export async function sqlCommand(query: string, options: { db: string; format: OutputFormat }): Promise<void> {
  if (!existsSync(options.db)) throw new Error(`no database at '${options.db}'`);
  const db = await Database.open(options.db);
  try {
    // One query as CSV: DuckDB's own writer, streamed (a script of statements prints its last result below).
    if (options.format === 'csv' && await copyCsvTo(db.connection, query, process.stdout)) return;
    const result = await db.connection.stream(query);
    await writeResult(result, options.format, process.stdout);
  } finally {
    db.close();
  }
}
