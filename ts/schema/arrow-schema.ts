import * as arrow from 'apache-arrow';
import { Column, LogSchema } from './log-schema';
import { arrowType } from './mapping';

function arrowField(column: Column): arrow.Field {
  if ('field' in column) return new arrow.Field(column.name, arrowType(column.field.type), true);
  // Records are never null themselves; an unset record has unset fields.
  return new arrow.Field(column.name, new arrow.Struct(column.children.map(arrowField)), false);
}

/** The Arrow schema of a log's record batches, with the Zeek types kept as field metadata. */
export function arrowSchema(schema: LogSchema): arrow.Schema {
  const metadata = new Map([['zeek.path', schema.path], ['zeek.fields', JSON.stringify(schema.toJSON().fields)]]);
  return new arrow.Schema(schema.columns.map(arrowField), metadata);
}
