import { Column, LogSchema, tableNameFor } from './log-schema';
import { SCALARS, duckdbType, ident } from './mapping';
import { ZeekType } from './zeek-type';

/** DuckDB type of a column: records become STRUCTs so `id.orig_h` reads as written. */
export function columnType(column: Column, leafType: (type: ZeekType) => string = duckdbType): string {
  if ('field' in column) return leafType(column.field.type);
  return `STRUCT(${column.children.map(c => `${ident(c.name)} ${columnType(c, leafType)}`).join(', ')})`;
}

export function createTableSql(schema: LogSchema, table = tableNameFor(schema.path),
  leafType: (type: ZeekType) => string = duckdbType): string {
  const columns = schema.columns.map(c => `${ident(c.name)} ${columnType(c, leafType)}`);
  return `CREATE TABLE IF NOT EXISTS ${ident(table)} (${columns.join(', ')})`;
}

/** The DuckDB type a Parquet file stores a field as (see ScalarMapping.parquet). */
export function parquetDuckdbType(type: ZeekType): string {
  const scalar = type.kind === 'scalar' ? type.name : type.element;
  const stored = SCALARS[scalar].parquet?.duckdb;
  if (!stored) return duckdbType(type);
  return type.kind === 'scalar' ? stored : `${stored}[]`;
}

/**
 * A SELECT list building the table's columns from per-field SQL expressions
 * (`valueOf(fieldIndex)`); records are packed into STRUCTs.
 */
export function selectList(schema: LogSchema, valueOf: (fieldIndex: number) => string): string {
  const build = (column: Column): string => 'field' in column
    ? valueOf(column.fieldIndex)
    : `struct_pack(${column.children.map(c => `${ident(c.name)} := ${build(c)}`).join(', ')})`;
  return schema.columns.map(c => `${build(c)} AS ${ident(c.name)}`).join(', ');
}
