import { Column, LogSchema, tableNameFor } from './log-schema';
import { duckdbType, ident } from './mapping';

/** DuckDB type of a column: records become STRUCTs so `id.orig_h` reads as written. */
export function columnType(column: Column): string {
  if ('field' in column) return duckdbType(column.field.type);
  return `STRUCT(${column.children.map(c => `${ident(c.name)} ${columnType(c)}`).join(', ')})`;
}

export function createTableSql(schema: LogSchema, table = tableNameFor(schema.path)): string {
  const columns = schema.columns.map(c => `${ident(c.name)} ${columnType(c)}`);
  return `CREATE TABLE IF NOT EXISTS ${ident(table)} (${columns.join(', ')})`;
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
