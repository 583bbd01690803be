import { TsvHeader } from './tsv-header';
import { CSV_BUFFER_BYTES, MAX_LINE_BYTES } from './ingest-memory';
import { LogSchema } from '../schema/log-schema';
import { SCALARS, duckdbType, ident, literal } from '../schema/mapping';
import { selectList } from '../schema/duckdb-table';
import { ZeekScalar, ZeekType } from '../schema/zeek-type';

export const REJECTS_TABLE = 'zeek_arrow_rejects';
export const REJECTS_SCAN = 'zeek_arrow_reject_scans';

/**
 * DuckDB's CSV reader over Zeek TSV files sharing one header, each field read as its mapped type. Lines it cannot
 * read go to the rejects tables, or with `quiet` are only passed over: DuckDB takes ~50-90 µs per reject (one per
 * missing or extra field of a line), so a file of many bad lines is first counted quietly.
 */
export function readTsvSql(files: string[], header: TsvHeader, fileSchema: LogSchema, gzip: boolean, quiet = false): string {
  const columns = fileSchema.fields.map(({ type }, i) =>
    `${literal(`c${i}`)}: ${literal(type.kind === 'scalar' ? SCALARS[type.name].tsvRead : 'VARCHAR')}`);
  // No quoting and no comment char: Zeek escapes both, and DuckDB's comment cuts a line at any '#'.
  // Header lines fail to parse and land in the rejects table, where we pass over them.
  return `read_csv([${files.map(literal).join(', ')}], delim=${literal(header.separator)}, header=false,
    quote='', escape='', auto_detect=false, new_line='\\n', nullstr=${literal(header.unsetField)},
    max_line_size=${MAX_LINE_BYTES}, buffer_size=${CSV_BUFFER_BYTES}, compression=${gzip ? "'gzip'" : "'none'"}, columns={${columns.join(', ')}},
    ${quiet ? 'ignore_errors=true' : `store_rejects=true, rejects_table=${literal(REJECTS_TABLE)}, rejects_scan=${literal(REJECTS_SCAN)}`})`;
}

function scalarFromText(scalar: ZeekScalar, sql: string, header: TsvHeader): string {
  const m = SCALARS[scalar];
  return m.fromTsv(m.tsvRead === 'VARCHAR' ? sql : `CAST(${sql} AS ${m.tsvRead})`, header.emptyField);
}

function valueSql(type: ZeekType, column: string, header: TsvHeader): string {
  if (type.kind === 'scalar') return SCALARS[type.name].fromTsv(column, header.emptyField);
  const m = SCALARS[type.element];
  const sep = literal(header.setSeparator);
  const unset = header.unsetField;
  const split = `string_split(${column}, ${sep})`;
  const element = `CASE WHEN e = ${literal(unset)} THEN NULL ELSE ${scalarFromText(type.element, 'e', header)} END`;
  // Most sets have no unset or empty elements and no escapes: split (and cast) them
  // whole, and leave the per-element lambda to the rest (x509's SAN lists hold thousands).
  const converted = m.fromTsv('x', header.emptyField);
  // Only text that is unescaped (strings) can hold escapes or empty elements; an address's or enum's text is its value.
  const escapable = m.tsvRead === 'VARCHAR' && converted !== 'x';
  const plain = [
    `NOT starts_with(${column}, ${literal(unset + header.setSeparator)})`,
    `NOT ends_with(${column}, ${literal(header.setSeparator + unset)})`,
    `NOT contains(${column}, ${literal(header.setSeparator + unset + header.setSeparator)})`,
    ...(escapable ? [`NOT contains(${column}, '\\')`, `NOT contains(${column}, ${literal(header.emptyField)})`] : []),
  ].join(' AND ');
  const fast = m.tsvRead === 'VARCHAR' ? split
    : converted === 'x' ? `CAST(${split} AS ${m.tsvRead}[])`
      : `list_transform(CAST(${split} AS ${m.tsvRead}[]), x -> ${converted})`;
  return `CASE WHEN ${column} = ${literal(header.emptyField)} THEN CAST([] AS ${duckdbType(type)})
    WHEN ${plain} THEN ${fast}
    ELSE list_transform(${split}, e -> ${element}) END`;
}

/**
 * INSERT of TSV files into the table of `table`: fields the files lack are
 * NULL, records are packed into STRUCTs, header lines that parse are dropped.
 */
export function insertTsvSql(tableName: string, table: LogSchema, header: TsvHeader, fileSchema: LogSchema,
  source: string): string {
  const position = new Map(header.fields.map((f, i) => [f, i]));
  const select = selectList(table, fieldIndex => {
    const field = table.fields[fieldIndex];
    const at = position.get(field.name);
    return at === undefined ? `CAST(NULL AS ${duckdbType(field.type)})` : valueSql(field.type, `c${at}`, header);
  });
  const first = fileSchema.fields[0].type;
  const firstIsText = first.kind !== 'scalar' || SCALARS[first.name].tsvRead === 'VARCHAR';
  const where = firstIsText ? `WHERE c0 IS NULL OR NOT starts_with(c0, '#')` : '';
  return `INSERT INTO ${ident(tableName)} SELECT ${select} FROM ${source} ${where}`;
}
