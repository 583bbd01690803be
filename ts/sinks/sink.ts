import * as arrow from 'apache-arrow';
import { LogSchema } from '../schema/log-schema';

/** Where one log's record batches go (a table, or the current file of a log path). */
export interface LogWriter {
  write(batch: arrow.RecordBatch): Promise<void>;
  flush(): Promise<void>;
  /**
   * Ends the current file as `rotatedBase` (a path without extension, as Zeek
   * names rotated logs) and, unless `terminating`, starts a new one. Returns the
   * file's name before and after, or undefined where there is no file (DuckDB).
   */
  rotate(rotatedBase: string, terminating: boolean): Promise<{ previous: string; rotated: string } | undefined>;
  close(): Promise<void>;
}

/** A destination for Zeek logs: DuckDB tables, Parquet files or Arrow IPC stream files. */
export interface Sink {
  readonly kind: SinkKind;
  /** Starts a log; `fileBase` names its files (default: the log path) where the sink writes files. */
  openLog(schema: LogSchema, fileBase?: string): Promise<LogWriter>;
  close(): Promise<void>;
}

export type SinkKind = 'duckdb' | 'parquet' | 'arrow';
