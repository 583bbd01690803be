import { Database } from './database';
import { Column, LogSchema, tableNameFor } from '../schema/log-schema';
import { columnType, createTableSql } from '../schema/duckdb-table';
import { ident, literal } from '../schema/mapping';
import { shownValue } from '../common/shown-value';

/** Where zeek-arrow keeps what it knows about a database's log tables and files. */
export const META = 'zeek_arrow';

const SETUP = [
  `CREATE SCHEMA IF NOT EXISTS ${META}`,
  // The Zeek types of each log table: DuckDB types alone cannot tell addr from string.
  `CREATE TABLE IF NOT EXISTS ${META}.log_schemas (
     log_path VARCHAR PRIMARY KEY, table_name VARCHAR NOT NULL, fields JSON NOT NULL)`,
  // Every log file ingested, known by the SHA-256 of its content.
  `CREATE TABLE IF NOT EXISTS ${META}.log_files (
     sha256 VARCHAR PRIMARY KEY, file VARCHAR NOT NULL, log_path VARCHAR, format VARCHAR,
     bytes UBIGINT, lines UBIGINT, row_count UBIGINT, error_count UBIGINT, ingested_at TIMESTAMPTZ)`,
];

/** Longest table name (in bytes, all ASCII) a log may have: it is also the name of its export file. */
const MAX_TABLE_NAME = 200;

/** Names in the database that zeek-arrow's other commands create (index, analyze), or DuckDB keeps. */
const RESERVED = ['conn_packets', 'conn_uid', 'conn_community_id', 'flow_packets_community_id', 'pcap',
  'main', 'temp', 'system', 'information_schema', 'pg_catalog'];

/** Why a log path cannot have a table, or undefined when it can. */
export function tableNameProblem(logPath: string): string | undefined {
  const table = tableNameFor(logPath);
  if (logPath === '') return 'the log path is empty: no table name';
  if (table.length > MAX_TABLE_NAME) {
    return `the log path is ${Buffer.byteLength(logPath)} bytes: table names are at most ${MAX_TABLE_NAME} bytes`;
  }
  const lower = table.toLowerCase();
  if (RESERVED.includes(lower) || lower.startsWith(META)) {
    return `log '${shownValue(logPath)}' would take the table name '${table}', which zeek-arrow keeps for its own tables`;
  }
  return undefined;
}

export interface LogFileRecord {
  sha256: string;
  file: string;
  logPath: string | null;
  format: string;
  bytes: number;
  lines: number;
  rows: number;
  errors: number;
}

/** Creates, extends and describes the table of each log path. */
export class LogTables {
  private schemas = new Map<string, LogSchema>();

  private constructor(readonly db: Database) {}

  static async open(db: Database): Promise<LogTables> {
    const present = await db.all(`SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = '${META}'
      AND database_name = current_database()`);
    // A read-only database that zeek-arrow never wrote has no logs; do not try to create anything there.
    if (Number(present[0].n) < 2) for (const sql of SETUP) await db.run(sql);
    const tables = new LogTables(db);
    for (const row of await db.all(`SELECT log_path, fields FROM ${META}.log_schemas`)) {
      const path = String(row.log_path);
      tables.schemas.set(path, LogSchema.fromJSON({ path, fields: JSON.parse(String(row.fields)) }));
    }
    return tables;
  }

  schemaOf(logPath: string): LogSchema | undefined {
    return this.schemas.get(logPath);
  }

  tableOf(logPath: string): string {
    return tableNameFor(logPath);
  }

  /**
   * Makes the table of `schema.path` hold at least these fields, creating it or
   * adding the new columns, and returns the table's (merged) schema.
   */
  async ensure(schema: LogSchema): Promise<LogSchema> {
    const table = this.tableOf(schema.path);
    const known = this.schemas.get(schema.path);
    if (!known) {
      const problem = tableNameProblem(schema.path);
      if (problem) throw new Error(problem);
      // DuckDB's names ignore case: 'X_y' and 'x-y' would share one table.
      for (const path of this.schemas.keys()) {
        if (this.tableOf(path).toLowerCase() === table.toLowerCase()) {
          throw new Error(`logs '${shownValue(path)}' and '${shownValue(schema.path)}' would share the table '${table}'`);
        }
      }
      await this.db.run(createTableSql(schema, table));
      await this.save(schema);
      return schema;
    }
    const merged = known.merge(schema);
    if (merged === known) return known;
    const added = addColumns(table, known.columns, merged.columns, []);
    const alter = async () => { for (const { sql } of added) await this.db.run(sql); };
    // DuckDB adds no field to a record column of an indexed table (conn's uid index); a column of its own it does.
    if (added.some(a => a.inRecord)) await this.withoutIndexes(table, alter);
    else await alter();
    await this.save(merged);
    return merged;
  }

  /** Runs `work` with the table's indexes dropped, and makes them again after (a rebuild over every row). */
  private async withoutIndexes(table: string, work: () => Promise<void>): Promise<void> {
    const indexes = await this.db.all(`SELECT index_name, sql FROM duckdb_indexes()
      WHERE schema_name = 'main' AND table_name = ${literal(table)} AND database_name = current_database()`);
    for (const i of indexes) await this.db.run(`DROP INDEX main.${ident(String(i.index_name))}`);
    await work();
    for (const i of indexes) await this.db.run(String(i.sql));
  }

  private async save(schema: LogSchema): Promise<void> {
    const fields = JSON.stringify(schema.toJSON().fields);
    await this.db.run(`INSERT OR REPLACE INTO ${META}.log_schemas VALUES
      (${literal(schema.path)}, ${literal(this.tableOf(schema.path))}, ${literal(fields)})`);
    this.schemas.set(schema.path, schema);
  }

  async knownFiles(): Promise<Set<string>> {
    const rows = await this.db.all(`SELECT sha256 FROM ${META}.log_files`);
    return new Set(rows.map(r => String(r.sha256)));
  }

  /** Records ingested files (on `db`, a connection whose transaction they belong to, if given). */
  async recordFiles(files: LogFileRecord[], db: Database = this.db): Promise<void> {
    const rows = files.map(f => `(${literal(f.sha256)}, ${literal(f.file)},
      ${f.logPath === null ? 'NULL' : literal(f.logPath)}, ${literal(f.format)}, ${f.bytes}, ${f.lines},
      ${f.rows}, ${f.errors}, now())`);
    await db.run(`INSERT OR REPLACE INTO ${META}.log_files VALUES ${rows.join(', ')}`);
  }

  logPaths(): string[] {
    return [...this.schemas.keys()].sort();
  }
}

/** ALTER statements adding the columns (or record fields: inRecord) that `after` has and `before` lacks. */
function addColumns(table: string, before: Column[], after: Column[], path: string[]): { sql: string; inRecord: boolean }[] {
  const statements: { sql: string; inRecord: boolean }[] = [];
  for (const column of after) {
    const old = before.find(c => c.name === column.name);
    const columnPath = [...path, column.name];
    if (!old) {
      statements.push({ sql: `ALTER TABLE ${ident(table)} ADD COLUMN ${columnPath.map(ident).join('.')} ${columnType(column)}`, inRecord: path.length > 0 });
    } else if ('children' in column && 'children' in old) {
      statements.push(...addColumns(table, old.children, column.children, columnPath));
    }
  }
  return statements;
}
