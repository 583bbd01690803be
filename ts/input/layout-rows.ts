// A source's rows in the reader layout, by one DuckDB query: the source is a
// relation (a query, read_parquet, a table of Arrow batches) and each field's
// column is converted in SQL (reader-layout.ts).
import * as arrow from 'apache-arrow';
import { Database } from '../duckdb/database';
import { queryBatches } from '../duckdb/bridge';
import { ident } from '../schema/sql-text';
import { ReaderField } from '../backend/reader-backend';
import { columnSql, inLayout, layoutSqlFor, layoutSqlType } from './reader-layout';
import { ArrowBatches } from './sources';

/**
 * The rows of `relation` (usable after FROM) past the first `offset`, a column per field in the reader layout,
 * as DuckDB produces them (the database must stay open while they are read).
 */
export async function layoutRows(db: Database, relation: string, fields: ReaderField[], offset = 0): Promise<Iterable<arrow.RecordBatch>> {
  const columns = await db.all(`DESCRIBE SELECT * FROM ${relation}`);
  const topLevel = new Set(columns.map(r => String(r.column_name)));
  const has = (name: string) => topLevel.has(name) || topLevel.has(name.split('.')[0]);
  const missing = (name: string) => new Error(`no column '${name}' (the source has: ${[...topLevel].join(', ')})`);
  for (const field of fields) {
    // An &optional field the source lacks is left unset, as Zeek's ASCII reader leaves a missing one.
    if (!has(field.name) && !field.optional) throw missing(field.name);
    if (field.protoColumn && !has(field.protoColumn)) throw missing(field.protoColumn);
  }
  const present = fields.filter(f => has(f.name));
  const raw = present.map((f, i) => `${columnSql(f.name, topLevel)} AS f${i}`);
  const described = raw.length ? await db.all(`DESCRIBE SELECT ${raw.join(', ')} FROM ${relation}`) : [];
  const types = new Map(present.map((f, i) => [f.name, String(described[i].column_type)]));
  const select = fields.map(f => {
    const proto = f.protoColumn ? columnSql(f.protoColumn, topLevel) : undefined;
    const source = types.get(f.name);
    const value = source === undefined ? `CAST(NULL AS ${layoutSqlType(f.type)})` : layoutSqlFor(columnSql(f.name, topLevel), source, f, proto);
    return `${value} AS ${ident(f.name)}`;
  });
  // The rows skipped are not converted.
  const from = offset > 0 ? `(SELECT * FROM ${relation} OFFSET ${offset}) AS source` : relation;
  return queryBatches(db.connection, `SELECT ${select.join(', ')} FROM ${from}`);
}

/** A reader's batches in the reader layout: as they are when they have it, else converted by the same SQL. */
export async function toLayout(batches: arrow.RecordBatch[], fields: ReaderField[]): Promise<arrow.RecordBatch[]> {
  if (batches.every(b => inLayout(b.schema, fields))) return batches;
  const source = new ArrowBatches(async () => ({ schema: batches[0].schema, batches }));
  try {
    return await source.withRelation(async (db, relation) => [...await layoutRows(db, relation, fields)]);
  } finally {
    source.close();
  }
}
