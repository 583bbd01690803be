import * as arrow from 'apache-arrow';
import { Column, LogSchema } from './log-schema';
import { SCALARS, arrowType, ident } from './mapping';
import { ZeekScalar, ZeekType } from './zeek-type';
import { selectList } from './duckdb-table';

function arrowField(column: Column, leafType: (type: ZeekType) => arrow.DataType): arrow.Field {
  if ('field' in column) return new arrow.Field(column.name, leafType(column.field.type), true);
  // Records are never null themselves; an unset record has unset fields.
  return new arrow.Field(column.name, new arrow.Struct(column.children.map(c => arrowField(c, leafType))), false);
}

/** Metadata naming the log and its Zeek types, carried by every batch and file. */
export function zeekMetadata(schema: LogSchema): Map<string, string> {
  return new Map([['zeek.path', schema.path], ['zeek.fields', JSON.stringify(schema.toJSON().fields)]]);
}

/** The Arrow schema of a log's record batches, with the Zeek types kept as metadata. */
export function arrowSchema(schema: LogSchema): arrow.Schema {
  return new arrow.Schema(schema.columns.map(c => arrowField(c, arrowType)), zeekMetadata(schema));
}

function parquetScalar(scalar: ZeekScalar): arrow.DataType {
  return SCALARS[scalar].parquet?.arrow() ?? SCALARS[scalar].arrow();
}

/** The same batches as Parquet stores them (intervals as int64 µs): same buffers, other labels. */
export function parquetArrowSchema(schema: LogSchema): arrow.Schema {
  const leaf = (type: ZeekType) => type.kind === 'scalar' ? parquetScalar(type.name)
    : new arrow.List(new arrow.Field('item', parquetScalar(type.element), true));
  return new arrow.Schema(schema.columns.map(c => arrowField(c, leaf)), zeekMetadata(schema));
}

/** A SELECT list reading a zeek-arrow Parquet file back into the log table's types. */
export function parquetReadSelectList(schema: LogSchema): string {
  return selectList(schema, fieldIndex => {
    const field = schema.fields[fieldIndex];
    const column = field.name.split('.').map(ident).join('.');
    const scalar = field.type.kind === 'scalar' ? field.type.name : field.type.element;
    const toTable = SCALARS[scalar].parquet?.toTable;
    if (!toTable) return column;
    return field.type.kind === 'scalar' ? toTable(column) : `list_transform(${column}, x -> ${toTable('x')})`;
  });
}

/** A SELECT list reading a log table in the physical layout of `arrowSchema` (for export). */
export function arrowSelectList(schema: LogSchema): string {
  return selectList(schema, fieldIndex => {
    const field = schema.fields[fieldIndex];
    const column = field.name.split('.').map(ident).join('.');
    const { type } = field;
    const scalar = type.kind === 'scalar' ? type.name : type.element;
    const toArrow = SCALARS[scalar].toArrow;
    if (!toArrow) return column;
    return type.kind === 'scalar' ? toArrow(column) : `list_transform(${column}, x -> ${toArrow('x')})`;
  });
}
