import * as arrow from 'apache-arrow';
import { Database } from '../duckdb/database';
import { LogTables } from '../duckdb/log-tables';
import { ArrowAppender } from '../duckdb/bridge';
import { LogSchema } from '../schema/log-schema';
import { arrowSchema } from '../schema/arrow-schema';
import { conformBatch } from '../arrow/conform';
import { LogWriter, Sink } from './sink';

/** A table per log path in one DuckDB file: the tables `zeek-arrow ingest` makes. */
export class DuckDBSink implements Sink {
  readonly kind = 'duckdb';

  private constructor(readonly db: Database, private tables: LogTables, private ownsDb: boolean) {}

  static async open(path: string): Promise<DuckDBSink> {
    const db = await Database.open(path);
    return new DuckDBSink(db, await LogTables.open(db), true);
  }

  /** A sink over a database someone else opened (and closes). */
  static async over(db: Database): Promise<DuckDBSink> {
    return new DuckDBSink(db, await LogTables.open(db), false);
  }

  async openLog(schema: LogSchema): Promise<LogWriter> {
    const table = await this.tables.ensure(schema);
    const target = arrowSchema(table);
    // A connection of its own: a connection runs one thing at a time, and other logs' SQL
    // (creating their tables) runs on Node's thread pool while this appender works on the main thread.
    const own = await this.db.fork();
    const appender = new ArrowAppender(own.connection, this.tables.tableOf(schema.path), target);
    return {
      write: async (batch: arrow.RecordBatch) => { appender.append(conformBatch(batch, target)); },
      flush: async () => appender.flush(),
      rotate: async () => { appender.flush(); return undefined; },
      close: async () => {
        try {
          appender.close();
        } finally {
          own.close();
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.ownsDb) this.db.close();
  }
}
