// Zeek types to DuckDB and Arrow types, from the one table (zeek-types.ts).
// Every sink, the log ingestion and the plugin use these; nothing else knows the types.
import * as arrow from 'apache-arrow';
import { ZeekType } from './zeek-type';
import { ScalarMapping, ZEEK_TYPES, ZeekScalar } from './zeek-types';
import { ident, literal } from './sql-text';

export { ScalarMapping };

/** The table's scalars (each entry says how every layer holds that type). */
export const SCALARS: Record<ZeekScalar, ScalarMapping> = ZEEK_TYPES;

export function duckdbType(type: ZeekType): string {
  return type.kind === 'scalar' ? SCALARS[type.name].duckdb : `${SCALARS[type.element].duckdb}[]`;
}

export function arrowType(type: ZeekType): arrow.DataType {
  if (type.kind === 'scalar') return SCALARS[type.name].arrow();
  return new arrow.List(new arrow.Field('item', SCALARS[type.element].arrow(), true));
}

export { ident, literal };
