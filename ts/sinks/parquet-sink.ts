import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Database } from '../duckdb/database';
import { ArrowAppender } from '../duckdb/bridge';
import { LogSchema } from '../schema/log-schema';
import { arrowSchema, parquetArrowSchema, zeekMetadata } from '../schema/arrow-schema';
import { createTableSql, parquetDuckdbType } from '../schema/duckdb-table';
import { ident, literal } from '../schema/mapping';
import { conformBatch, relabel } from '../arrow/conform';
import { LogWriter, Sink } from './sink';
import { rotatingWriter } from './file-rotation';

/** zstd at level 1: the files of level 3 (DuckDB's default) within 0.3%, at snappy's CPU (a third less than level 3). */
const COMPRESSION = 'COMPRESSION zstd, COMPRESSION_LEVEL 1';

/**
 * A Parquet file per log path (`conn.parquet`), written by DuckDB: batches
 * gather in an in-memory DuckDB table (spilling to disk past its memory
 * limit) and become the file when it closes or rotates. Intervals are int64
 * µs (Parquet's INTERVAL keeps milliseconds); the Zeek types are in the
 * file's key-value metadata (zeek.path, zeek.fields).
 */
export class ParquetSink implements Sink {
  readonly kind = 'parquet';
  private db?: Promise<Database>;
  private files = 0;

  constructor(readonly dir: string) {}

  /**
   * The one in-memory database of the staged tables. The promise is kept, not the database: logs start
   * concurrently, and each one awaiting an open of its own made an instance per log (21 for bench-writer's
   * 22 logs, each with its own buffers and worker threads, all but the last never closed).
   */
  private staging(): Promise<Database> {
    // One thread: with two, a COPY's caller spins on DuckDB's task queue while the worker runs its task
    // (COPY of bench-writer's 512 MB capture's logs: 0.55-0.61 CPU s with 2 threads, 0.23-0.39 with 1).
    this.db ??= Database.open(':memory:', { temp_directory: join(this.dir, '.zeek-arrow-spill'), threads: '1' });
    return this.db;
  }

  async openLog(schema: LogSchema, fileBase = schema.path): Promise<LogWriter> {
    await mkdir(this.dir, { recursive: true });
    // A connection of its own, as in the DuckDB sink: a connection runs one thing at a time, and one
    // log's rotation (its COPY to Parquet) must not hold every other log's appends.
    const db = await (await this.staging()).fork();
    const target = arrowSchema(schema);
    const stored = parquetArrowSchema(schema);
    const path = join(this.dir, `${fileBase}.parquet`);
    const metadata = [...zeekMetadata(schema)].map(([k, v]) => `${literal(k)}: ${literal(v)}`).join(', ');
    const writer = rotatingWriter(path, 'parquet', async () => {
      const table = `staged_${this.files++}`;
      await db.run(createTableSql(schema, table, parquetDuckdbType));
      const appender = new ArrowAppender(db.connection, table, stored);
      return {
        write: async batch => { appender.append(relabel(conformBatch(batch, target), stored)); },
        flush: async () => appender.flush(),
        end: async () => {
          appender.close();
          await db.run(`COPY ${ident(table)} TO ${literal(path)} (FORMAT parquet, ${COMPRESSION}, KV_METADATA {${metadata}})`);
          await db.run(`DROP TABLE ${ident(table)}`);
        },
      };
    });
    return {
      ...writer,
      close: async () => {
        try {
          await writer.close();
        } finally {
          db.close();
        }
      },
    };
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    (await db?.catch(() => undefined))?.close();
  }
}
