// A query's rows as CSV written by DuckDB's own CSV writer, streamed into a
// Node stream through a FIFO: DuckDB's pace, DuckDB's threads, bounded memory
// (DuckDB blocks on the full pipe while the output is slow).
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DuckDBConnection, StatementType } from '@duckdb/node-api';
import { literal } from '../schema/sql-text';

/** The text of one query inside COPY ( … ): no trailing semicolons (a newline closes a trailing comment). */
function queryBody(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/**
 * Writes the rows of `sql` to `out` as CSV with a header, by DuckDB's COPY. Returns false, having run
 * nothing, when `sql` is not exactly one SELECT (a script of statements), which the caller formats itself.
 */
export async function copyCsvTo(connection: DuckDBConnection, sql: string, out: Writable): Promise<boolean> {
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1) return false;
  if ((await statements.prepare(0)).statementType !== StatementType.SELECT) return false;
  const dir = mkdtempSync(join(tmpdir(), 'zeek-arrow-csv-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir); // the CLI exits at once when its reader goes away (EPIPE)
  try {
    const fifo = join(dir, 'rows.csv');
    let copy;
    try {
      copy = await connection.prepare(`COPY (\n${queryBody(sql)}\n) TO ${literal(fifo)} (FORMAT csv, HEADER)`);
    } catch {
      return false; // a SELECT that does not fit inside COPY (a trailing comment after its semicolon, say)
    }
    const made = spawnSync('mkfifo', ['-m', '600', fifo]);
    if (made.status !== 0) throw new Error(`cannot make a pipe for the CSV output: ${made.stderr?.toString().trim() || made.error?.message}`);
    // Our own write end keeps the pipe open until the COPY ends, so the reader sees no end before DuckDB opens it.
    const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const keepOpen = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const rows = new Socket({ fd: readEnd, readable: true, writable: false });
    const piped = new Promise<void>((resolve, reject) => {
      const stop = (e: Error) => { rows.destroy(); reject(e); };
      // Before any other listener (the CLI exits on EPIPE): closing our end makes DuckDB's next write fail, ending the COPY.
      out.prependOnceListener('error', stop);
      rows.once('error', stop);
      rows.once('end', () => { out.off('error', stop); resolve(); });
      rows.pipe(out, { end: false });
    });
    const copied = copy.run().finally(() => closeSync(keepOpen));
    const [c, p] = await Promise.allSettled([copied, piped]);
    if (p.status === 'rejected') throw p.reason;
    if (c.status === 'rejected') throw c.reason;
    return true;
  } finally {
    process.off('exit', removeDir);
    removeDir();
  }
}
