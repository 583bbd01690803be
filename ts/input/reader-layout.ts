// The reverse of ts/schema/mapping.ts: SQL taking a source column (DuckDB
// type as DESCRIBE names it) to the layout the plugin turns into Zeek values
// (plugin/zeek/src/RowValues.cc), as the type table (schema/zeek-types.ts) gives it:
// numbers in binary, time and interval as int64 µs, and the text Zeek's ASCII reader parses for the rest.
import * as arrow from 'apache-arrow';
import { ZeekScalar, ZeekType } from '../schema/zeek-type';
import { ident } from '../schema/sql-text';
import { SCALARS } from '../schema/mapping';
import { ReaderField } from '../backend/reader-backend';
import { formatOf } from '../arrow/c-data';

/** A Zeek scalar in the reader layout: its DuckDB type, and the Arrow type DuckDB exports that as. */
function layoutOf(scalar: ZeekScalar): { sql: string; arrow: () => arrow.DataType } {
  const layout = SCALARS[scalar].reader;
  if (!layout) throw new Error(`readers cannot give Zeek's type ${scalar}`);
  return layout;
}

/** The Arrow type a field's column has in the reader layout. */
export function layoutType(type: ZeekType): arrow.DataType {
  if (type.kind === 'scalar') return layoutOf(type.name).arrow();
  return new arrow.List(new arrow.Field('item', layoutOf(type.element).arrow(), true));
}

/** SQL giving a scalar in the layout from a source value of DuckDB type `source`, or undefined if it cannot. */
function scalarSql(sql: string, source: string, scalar: ZeekScalar, proto?: string): string | undefined {
  return SCALARS[scalar].fromSource?.(sql, source, proto);
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
