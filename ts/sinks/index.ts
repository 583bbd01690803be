import { ArrowIpcSink } from './arrow-ipc-sink';
import { DuckDBSink } from './duckdb-sink';
import { ParquetSink } from './parquet-sink';
import { Sink, SinkKind } from './sink';

export { Sink, SinkKind, LogWriter } from './sink';
export { DuckDBSink } from './duckdb-sink';
export { ArrowIpcSink } from './arrow-ipc-sink';
export { ParquetSink } from './parquet-sink';

/** A sink by kind: DuckDB takes a database file, Parquet and Arrow a directory. */
export async function openSink(kind: SinkKind, location: string): Promise<Sink> {
  switch (kind) {
    case 'duckdb': return DuckDBSink.open(location);
    case 'parquet': return new ParquetSink(location);
    case 'arrow': return new ArrowIpcSink(location);
  }
}
