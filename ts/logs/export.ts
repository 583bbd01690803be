import { Database } from '../duckdb/database';
import { LogTables, tableNameProblem } from '../duckdb/log-tables';
import { queryBatches } from '../duckdb/bridge';
import { arrowSchema, arrowSelectList } from '../schema/arrow-schema';
import { ident } from '../schema/mapping';
import { Sink } from '../sinks';
import { shownValue } from '../common/shown-value';

/** A file name in the output directory: one name, nothing that climbs out of it or hides. */
const PLAIN_NAME = /^[A-Za-z0-9_]+$/;

/**
 * Writes each log table (or those named) through a sink; returns rows per log.
 * A log's file is named after its table (letters, digits and '_', at most 200
 * bytes), never after its path, which came from the contents of a log file. A
 * log that cannot be written is named in `problems`, and the others still are.
 */
export async function exportLogs(db: Database, sink: Sink, logPaths?: string[], problems: string[] = []): Promise<Record<string, number>> {
  const tables = await LogTables.open(db);
  const rows: Record<string, number> = {};
  for (const path of logPaths ?? tables.logPaths()) {
    const schema = tables.schemaOf(path);
    if (!schema) throw new Error(`no log '${shownValue(path)}' in ${db.path} (it has: ${tables.logPaths().map(p => shownValue(p)).join(', ') || 'none'})`);
    const file = tables.tableOf(path);
    const problem = tableNameProblem(path) ?? (PLAIN_NAME.test(file) ? undefined : `'${shownValue(file)}' is no plain file name`);
    if (problem) {
      problems.push(`log '${shownValue(path)}' not exported: ${problem}`);
      continue;
    }
    try {
      const writer = await sink.openLog(schema, file);
      let n = 0;
      const sql = `SELECT ${arrowSelectList(schema)} FROM ${ident(file)}`;
      for (const batch of queryBatches(db.connection, sql, arrowSchema(schema))) {
        await writer.write(batch);
        n += batch.numRows;
      }
      await writer.close();
      rows[path] = n;
    } catch (e) {
      problems.push(`log '${shownValue(path)}' not exported: ${shownValue((e as Error).message)}`);
    }
  }
  return rows;
}

