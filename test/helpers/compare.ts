import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { Database } from '../../ts/duckdb/database';
import { ArrowAppender } from '../../ts/duckdb/bridge';
import { LogSchema } from '../../ts/schema/log-schema';
import { parquetReadSelectList } from '../../ts/schema/arrow-schema';
import { createTableSql, selectList } from '../../ts/schema/duckdb-table';
import { ident, literal } from '../../ts/schema/mapping';

/** Columns as compared: doubles at the 6 decimals Zeek's ASCII writer keeps. */
export function comparable(schema: LogSchema): string {
  return selectList(schema, i => {
    const f = schema.fields[i];
    const path = f.name.split('.').map(ident).join('.');
    if (f.type.kind === 'scalar' && f.type.name === 'double') return `round(${path}, 6)`;
    if (f.type.kind !== 'scalar' && f.type.element === 'double') return `list_transform(${path}, x -> round(x, 6))`;
    return path;
  });
}

// What Zeek logs before the first packet (packet_filter, start-up warnings in reporter)
// carries the wall-clock time of each run, which two runs cannot share.
export const WALL_CLOCK_LOGS = new Set(['packet_filter', 'reporter']);

/** A query over a log relation, as compared. */
export function rowsOf(path: string, schema: LogSchema, relation: string): string {
  const select = `SELECT ${comparable(schema)} FROM ${relation}`;
  return WALL_CLOCK_LOGS.has(path) ? `SELECT * EXCLUDE (ts) FROM (${select})` : select;
}

/** Rows one query has and the other lacks, both ways (EXCEPT ALL). */
export async function difference(db: Database, a: string, b: string): Promise<[number, number]> {
  const n = async (x: string, y: string) => Number((await db.all(`SELECT count(*) AS n FROM (${x} EXCEPT ALL ${y})`))[0].n);
  return [await n(a, b), await n(b, a)];
}

/** A Parquet file the plugin wrote, read back into the log's types. */
export function parquetRelation(schema: LogSchema, file: string): string {
  return `(SELECT ${parquetReadSelectList(schema)} FROM read_parquet(${literal(file)}))`;
}

/** An Arrow IPC stream file read by apache-arrow and appended to a new table; returns the table. */
export async function arrowFileTable(db: Database, schema: LogSchema, file: string, table: string): Promise<string> {
  const ipc = arrow.tableFromIPC(readFileSync(file));
  await db.run(createTableSql(schema, table));
  const appender = new ArrowAppender(db.connection, table, ipc.schema);
  for (const batch of ipc.batches) appender.append(batch);
  appender.close();
  return ident(table);
}

export const dbFile = (dir: string) => join(dir, 'logs.duckdb');
