import { LogSchema } from '../schema/log-schema';
import { SCALARS, duckdbType, ident, literal } from '../schema/mapping';
import { selectList } from '../schema/duckdb-table';
import { ZeekType } from '../schema/zeek-type';

function jsonReadType(type: ZeekType): string {
  return type.kind === 'scalar' ? SCALARS[type.name].jsonRead : `${SCALARS[type.element].jsonRead}[]`;
}

/**
 * DuckDB's JSON reader over Zeek JSON logs, each key read as its mapped type;
 * with `recordPath`, only the records of that `_path` (null: those without one).
 */
export function readJsonSql(files: string[], fileSchema: LogSchema, gzip: boolean, recordPath?: string | null): string {
  const columns = fileSchema.fields.map(f => `${literal(f.name)}: ${literal(jsonReadType(f.type))}`);
  if (recordPath !== undefined && !fileSchema.fields.some(f => f.name === '_path')) columns.push(`'_path': 'VARCHAR'`);
  const read = `read_json([${files.map(literal).join(', ')}], format='newline_delimited', records=true,
    auto_detect=false, maximum_object_size=16777216, compression=${gzip ? "'gzip'" : "'uncompressed'"},
    columns={${columns.join(', ')}})`;
  if (recordPath === undefined) return read;
  return `(SELECT * FROM ${read} WHERE "_path" ${recordPath === null ? 'IS NULL' : `= ${literal(recordPath)}`})`;
}

function valueSql(type: ZeekType, column: string): string {
  if (type.kind === 'scalar') return SCALARS[type.name].fromJson(column);
  const element = SCALARS[type.element].fromJson('e');
  return element === 'e' ? column : `list_transform(${column}, e -> ${element})`;
}

/** INSERT of JSON logs into a log table; keys the files lack are NULL. */
export function insertJsonSql(tableName: string, table: LogSchema, fileSchema: LogSchema, source: string): string {
  const present = new Set(fileSchema.fields.map(f => f.name));
  const select = selectList(table, fieldIndex => {
    const field = table.fields[fieldIndex];
    return present.has(field.name) ? valueSql(field.type, ident(field.name)) : `CAST(NULL AS ${duckdbType(field.type)})`;
  });
  return `INSERT INTO ${ident(tableName)} SELECT ${select} FROM ${source}`;
}
