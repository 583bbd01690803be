// Arrow record batches as a DuckDB table, so that a reader's batches of any
// Arrow types reach the layout by the same SQL as a query's rows.
import * as arrow from 'apache-arrow';
import { Database } from '../duckdb/database';
import { ArrowAppender } from '../duckdb/bridge';
import { ident } from '../schema/sql-text';

const INTS: Record<number, string> = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' };

/** The DuckDB type DuckDB's Arrow import gives an Arrow type. */
function duckdbTypeOf(type: arrow.DataType, column: string): string {
  switch (type.typeId) {
    case arrow.Type.Bool: return 'BOOLEAN';
    case arrow.Type.Int: {
      const t = type as arrow.Int;
      return `${t.isSigned ? '' : 'U'}${INTS[t.bitWidth]}`;
    }
    case arrow.Type.Float: return (type as arrow.Float).precision === arrow.Precision.DOUBLE ? 'DOUBLE' : 'FLOAT';
    case arrow.Type.Utf8: case arrow.Type.LargeUtf8: return 'VARCHAR';
    case arrow.Type.Timestamp: return (type as arrow.Timestamp).timezone ? 'TIMESTAMPTZ' : 'TIMESTAMP';
    case arrow.Type.Duration: return 'INTERVAL';
    case arrow.Type.List: return `${duckdbTypeOf((type as arrow.List).valueType, column)}[]`;
    case arrow.Type.Struct:
      return `STRUCT(${(type as arrow.Struct).children.map(c => `${ident(c.name)} ${duckdbTypeOf(c.type, `${column}.${c.name}`)}`).join(', ')})`;
  }
  throw new Error(`column '${column}' has the Arrow type ${type}, which the reader cannot read`);
}

const isDictionary = (f: arrow.Field) => f.type.typeId === arrow.Type.Dictionary;

/** Dictionary-encoded columns (apache-arrow's tableFromArrays makes strings so) decoded to their values. */
function decoded(schema: arrow.Schema, batches: arrow.RecordBatch[]): { schema: arrow.Schema; batches: arrow.RecordBatch[] } {
  if (!schema.fields.some(isDictionary)) return { schema, batches };
  const plain = batches.map(b => new arrow.Table(Object.fromEntries(schema.fields.map((f, i) => {
    const column = b.getChildAt(i)!;
    const type = isDictionary(f) ? (f.type as arrow.Dictionary).dictionary : f.type;
    return [f.name, isDictionary(f) ? arrow.vectorFromArray([...column], type) : column];
  }))).batches[0]);
  return { schema: plain[0]?.schema ?? schema, batches: plain };
}

/** Loads batches (all of one schema) into a new table of `db`. */
export async function loadBatches(db: Database, table: string, given: arrow.Schema, givenBatches: arrow.RecordBatch[]): Promise<void> {
  const { schema, batches } = decoded(given, givenBatches);
  const columns = schema.fields.map(f => `${ident(f.name)} ${duckdbTypeOf(f.type, f.name)}`);
  await db.run(`CREATE OR REPLACE TABLE ${ident(table)} (${columns.join(', ')})`);
  const appender = new ArrowAppender(db.connection, table, schema);
  try {
    for (const batch of batches) appender.append(batch);
  } finally {
    appender.close();
  }
}
