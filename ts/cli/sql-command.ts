import { existsSync } from 'node:fs';
import { StatementType } from '@duckdb/node-api';
import { copyCsvTo } from '../duckdb/csv-out';
import { Database } from '../duckdb/database';
import { LOCK_WAIT_MS, openWhenFree } from '../duckdb/open-when-free';
import { OutputFormat, writeResult } from './result-format';

/** Statement kinds that only read the database (DESCRIBE, SHOW, SUMMARIZE and reading PRAGMAs parse as SELECT). */
const READING: StatementType[] = [StatementType.SELECT, StatementType.EXPLAIN];

/** Whether DuckDB parses every statement of `query` as one that only reads. */
async function onlyReads(db: Database, query: string): Promise<boolean> {
  const statements = await db.connection.extractStatements(query);
  for (let i = 0; i < statements.count; i++) {
    // One that cannot be prepared yet (it reads a table an earlier one makes) is not known to only read.
    const prepared = await statements.prepare(i).catch(() => undefined);
    if (!prepared) return false;
    const type = prepared.statementType;
    prepared.destroySync();
    if (!READING.includes(type)) return false;
  }
  return true;
}

/**
 * Runs a query and prints its result. A query that only reads opens the database read-only: a file the user may only
 * read, or one another process has open read-only, still answers; one that writes opens it for writing.
 */
export async function sqlCommand(query: string, options: { db: string; format: OutputFormat }): Promise<void> {
  if (!existsSync(options.db)) throw new Error(`no database at '${options.db}'`);
  let db: Database | undefined = await openWhenFree(options.db, { access_mode: 'read_only' }, LOCK_WAIT_MS).catch(() => undefined);
  if (db && !(await onlyReads(db, query).catch(e => { db!.close(); throw e; }))) {
    db.close();
    db = undefined;
  }
  try {
    if (db) {
      try {
        await print(db);
        return;
      } catch (e) {
        // A SELECT that writes all the same (nextval()): nothing is printed before DuckDB refuses it, so run it again.
        if (!/attached in read-only mode/.test((e as Error).message)) throw e;
        db.close();
        db = undefined;
      }
    }
    // A reader holding the file (a Zeek input stream's REREAD, analyze --follow's commit) lets go soon: wait for it.
    db = await openWhenFree(options.db, {}, LOCK_WAIT_MS);
    await print(db);
  } finally {
    db?.close();
  }

  async function print(on: Database): Promise<void> {
    // One query as CSV: DuckDB's own writer, streamed (a script of statements prints its last result below).
    if (options.format === 'csv' && await copyCsvTo(on.connection, query, process.stdout)) return;
    const result = await on.connection.stream(query);
    await writeResult(result, options.format, process.stdout);
  }
}
