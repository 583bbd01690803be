import * as arrow from 'apache-arrow';
import { DuckDBConnection } from '@duckdb/node-api';
import { ArrayDescription, SchemaDescription, arrayDescription, batchFromDescription, schemaDescription } from '../arrow/c-data';
import { builtFile } from '../common/paths';

interface NativeAppender {
  append(batch: ArrayDescription): number;
  appendAndClose(batch: ArrayDescription): Promise<number>;
  flush(): void;
  close(): void;
}
interface NativeQuery {
  schema(): SchemaDescription;
  next(): ArrayDescription | null;
  close(): void;
}
interface Bridge {
  Appender: new (connection: unknown, schema: string | null, table: string, arrowSchema: SchemaDescription) => NativeAppender;
  ArrowQuery: new (connection: unknown, sql: string) => NativeQuery;
  duckdbVersion: string;
  childPipe(bytes: number): { read: number; write: number; size: number };
  releaseBytes(path: string, offset: number, length: number): boolean;
}

let bridge: Bridge | undefined;

/** The native bridge (plugin/bridge), loaded once. */
export function nativeBridge(): Bridge {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  bridge ??= require(builtFile('zeek_arrow_bridge.node')) as Bridge;
  return bridge;
}

/** The bindings' handle behind a @duckdb/node-api connection. */
function handleOf(connection: DuckDBConnection): unknown {
  return (connection as unknown as { connection: unknown }).connection;
}

/** Appends Arrow record batches to a table through DuckDB's Arrow import: no per-value work in JS. */
export class ArrowAppender {
  private native: NativeAppender;

  constructor(connection: DuckDBConnection, table: string, schema: arrow.Schema, schemaName: string | null = null) {
    this.native = new (nativeBridge().Appender)(handleOf(connection), schemaName, table, schemaDescription(schema));
  }

  append(batch: arrow.RecordBatch): number {
    return this.native.append(arrayDescription(batch));
  }

  /**
   * Appends the batch and closes, DuckDB's work (converting the rows, flushing them into the table) on a thread of
   * libuv's pool, not this one; the batch's buffers must not change until it settles.
   */
  async appendAndClose(batch: arrow.RecordBatch): Promise<number> {
    const description = arrayDescription(batch);
    return this.native.appendAndClose(description);
  }

  flush(): void {
    this.native.flush();
  }

  close(): void {
    this.native.close();
  }
}

/** Streams a query's result as RecordBatches (read `as` a schema of the same layout, if given). */
export function* queryBatches(connection: DuckDBConnection, sql: string, as?: arrow.Schema): Generator<arrow.RecordBatch> {
  const query = new (nativeBridge().ArrowQuery)(handleOf(connection), sql);
  try {
    const schema = query.schema();
    for (let array = query.next(); array; array = query.next()) {
      yield batchFromDescription(schema, array, as);
    }
  } finally {
    query.close();
  }
}
