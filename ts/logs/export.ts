import { Database } from '../duckdb/database';
import { LogTables } from '../duckdb/log-tables';
import { queryBatches } from '../duckdb/bridge';
import { arrowSchema, arrowSelectList } from '../schema/arrow-schema';
import { ident } from '../schema/mapping';
import { Sink } from '../sinks';

/** Writes each log table (or those named) through a sink; returns rows per log. */
export async function exportLogs(db: Database, sink: Sink, logPaths?: string[]): Promise<Record<string, number>> {
  const tables = await LogTables.open(db);
  const rows: Record<string, number> = {};
  for (const path of logPaths ?? tables.logPaths()) {
    const schema = tables.schemaOf(path);
    if (!schema) throw new Error(`no log '${path}' in ${db.path} (it has: ${tables.logPaths().join(', ') || 'none'})`);
    const writer = await sink.openLog(schema);
    rows[path] = 0;
    const sql = `SELECT ${arrowSelectList(schema)} FROM ${ident(tables.tableOf(path))}`;
    for (const batch of queryBatches(db.connection, sql, arrowSchema(schema))) {
      await writer.write(batch);
      rows[path] += batch.numRows;
    }
    await writer.close();
  }
  return rows;
}
