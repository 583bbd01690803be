// The reverse of ts/schema/mapping.ts: SQL taking a source column (DuckDB
// type as DESCRIBE names it) to the layout the plugin turns into Zeek values
// (plugin/zeek/src/RowValues.cc): numbers in binary, time and interval as
// int64 µs, and the text Zeek's ASCII reader parses for everything else.
import * as arrow from 'apache-arrow';
import { ZeekScalar, ZeekType } from '../schema/zeek-type';
import { ident } from '../duckdb/sql-text';
import { ReaderField } from '../backend/reader-backend';
import { formatOf } from '../arrow/c-data';

const INTEGER = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/;
const NUMBER = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/;
const TIMESTAMP = /^TIMESTAMP( WITH TIME ZONE|_S|_MS|_NS)?$/;
const micros = (sql: string) => `CAST(round(${sql} * 1000000) AS BIGINT)`;

/** A Zeek scalar in the reader layout: its DuckDB type, and the Arrow type DuckDB exports that as. */
function layoutOf(scalar: ZeekScalar): { sql: string; arrow: () => arrow.DataType } {
  switch (scalar) {
    case 'bool': return { sql: 'BOOLEAN', arrow: () => new arrow.Bool() };
    case 'int': case 'time': case 'interval': return { sql: 'BIGINT', arrow: () => new arrow.Int64() };
    case 'count': return { sql: 'UBIGINT', arrow: () => new arrow.Uint64() };
    case 'double': return { sql: 'DOUBLE', arrow: () => new arrow.Float64() };
    default: return { sql: 'VARCHAR', arrow: () => new arrow.Utf8() };
  }
}

/** The Arrow type a field's column has in the reader layout. */
export function layoutType(type: ZeekType): arrow.DataType {
  if (type.kind === 'scalar') return layoutOf(type.name).arrow();
  return new arrow.List(new arrow.Field('item', layoutOf(type.element).arrow(), true));
}

/** SQL giving a scalar in the layout from a source value of DuckDB type `source`, or undefined if it cannot. */
function scalarSql(sql: string, source: string, scalar: ZeekScalar, proto?: string): string | undefined {
  switch (scalar) {
    case 'bool': return source === 'BOOLEAN' ? sql : undefined;
    case 'int': case 'count': return INTEGER.test(source) ? sql : undefined;
    case 'double': return NUMBER.test(source) ? sql : undefined;
    case 'time':
      if (TIMESTAMP.test(source)) return `epoch_us(${source.includes('_') ? `CAST(${sql} AS TIMESTAMP)` : sql})`;
      return NUMBER.test(source) ? micros(sql) : undefined; // seconds, as Zeek counts them
    case 'interval':
      if (source === 'INTERVAL') return `epoch_us(${sql})`;
      return NUMBER.test(source) ? micros(sql) : undefined;
    case 'port': {
      const protocol = proto ? `lower(CAST(${proto} AS VARCHAR))` : `'unknown'`;
      if (INTEGER.test(source)) return `CAST(${sql} AS VARCHAR) || '/' || ${protocol}`;
      if (source !== 'VARCHAR') return undefined;
      return proto ? `${sql} || '/' || ${protocol}` : sql; // text such as 80/tcp
    }
    default: return source === 'VARCHAR' ? sql : undefined;
  }
}

/** SQL giving a field's column in the layout from a source expression of DuckDB type `source`. */
export function layoutSqlFor(sql: string, source: string, field: ReaderField, protoSql?: string): string {
  const { type } = field;
  let value: string | undefined;
  if (type.kind === 'scalar') {
    value = scalarSql(sql, source, type.name, protoSql);
  } else if (source.endsWith('[]')) {
    const item = scalarSql('x', source.slice(0, -2), type.element);
    value = item === undefined ? undefined : item === 'x' ? sql : `list_transform(${sql}, x -> ${item})`;
  }
  if (value === undefined) {
    const wanted = type.kind === 'scalar' ? type.name : `${type.kind}[${type.element}]`;
    throw new Error(`column '${field.name}' is ${source} and cannot become the Zeek field's type ${wanted}`);
  }
  return `CAST(${value} AS ${layoutSqlType(type)})`;
}

/** The DuckDB type of a field's column in the reader layout. */
export function layoutSqlType(type: ZeekType): string {
  return type.kind === 'scalar' ? layoutOf(type.name).sql : `${layoutOf(type.element).sql}[]`;
}

/** Where a field's value is in a relation: a column of its name, or a struct's field (`id.orig_h`). */
export function columnSql(name: string, topLevel: Set<string>): string {
  if (topLevel.has(name) || !name.includes('.')) return ident(name);
  return name.split('.').map(ident).join('.');
}

const formats = (type: arrow.DataType): string =>
  [formatOf(type), ...(type.children ?? []).map((c: arrow.Field) => formats(c.type))].join(',');

/** Whether a batch already has the reader layout (no conversion needed). */
export function inLayout(schema: arrow.Schema, fields: ReaderField[]): boolean {
  return schema.fields.length === fields.length
    && schema.fields.every((f, i) => formats(f.type) === formats(layoutType(fields[i].type)));
}
