// The one mapping from Zeek types to DuckDB and Arrow types, and the SQL that
// turns Zeek's log text (TSV) or JSON values into them. Every sink, the log
// ingestion and the plugin use this table; nothing else knows the types.
import * as arrow from 'apache-arrow';
import { ZeekScalar, ZeekType } from './zeek-type';
import { ident, literal } from '../duckdb/sql-text';

export interface ScalarMapping {
  /** Column type in DuckDB tables. */
  duckdb: string;
  /** Arrow type of record batches. */
  arrow(): arrow.DataType;
  /** Type DuckDB's CSV reader parses the field text as (errors then name line and column). */
  tsvRead: string;
  /** SQL taking the read value to the table's value (`empty` is the log's #empty_field). */
  fromTsv(sql: string, empty: string): string;
  /** Type DuckDB's JSON reader parses the value as. */
  jsonRead: string;
  /** SQL taking the JSON value to the table's value. */
  fromJson(sql: string): string;
  /** SQL giving the table's value in the physical layout of the Arrow type, where DuckDB's differs. */
  toArrow?(sql: string): string;
  /** Where Parquet cannot hold the DuckDB type: the type it stores instead, and SQL reading it back. */
  parquet?: { duckdb: string; arrow(): arrow.DataType; toTable(sql: string): string };
}

const same = (sql: string) => sql;
// The ASCII writer prints time and interval with 6 decimals; below 2^31 s a
// double parsed from that text, times 1e6, is within 0.25 µs, so rounding is exact.
const micros = (sql: string) => `CAST(round(${sql} * 1000000) AS BIGINT)`;
// JSON carries the full double: round it to µs the way the ASCII writer does.
const jsonMicros = (sql: string) => `zeek_micros(${sql})`;

// Text columns hold what Zeek's JSON writer writes, so JSON needs nothing and
// TSV text only needs work where it has escapes (database.ts zeek_tsv_string).
const text = (): ScalarMapping => ({
  duckdb: 'VARCHAR', arrow: () => new arrow.Utf8(), tsvRead: 'VARCHAR',
  fromTsv: (sql, empty) => `zeek_tsv_string(${sql}, ${literal(empty)})`,
  jsonRead: 'VARCHAR', fromJson: same,
});
// Addresses, subnets and enum names are never empty and never escaped: their text is the value.
const plainText = (): ScalarMapping => ({ ...text(), fromTsv: same });

export const SCALARS: Record<ZeekScalar, ScalarMapping> = {
  bool: {
    duckdb: 'BOOLEAN', arrow: () => new arrow.Bool(), tsvRead: 'BOOLEAN', fromTsv: same,
    jsonRead: 'BOOLEAN', fromJson: same,
  },
  int: {
    duckdb: 'BIGINT', arrow: () => new arrow.Int64(), tsvRead: 'BIGINT', fromTsv: same,
    jsonRead: 'BIGINT', fromJson: same,
  },
  count: {
    duckdb: 'UBIGINT', arrow: () => new arrow.Uint64(), tsvRead: 'UBIGINT', fromTsv: same,
    jsonRead: 'UBIGINT', fromJson: same,
  },
  double: {
    duckdb: 'DOUBLE', arrow: () => new arrow.Float64(), tsvRead: 'DOUBLE', fromTsv: same,
    jsonRead: 'DOUBLE', fromJson: same,
  },
  time: {
    duckdb: 'TIMESTAMPTZ', arrow: () => new arrow.TimestampMicrosecond('UTC'), tsvRead: 'DOUBLE',
    fromTsv: sql => `make_timestamptz(${micros(sql)})`,
    jsonRead: 'DOUBLE', fromJson: sql => `make_timestamptz(${jsonMicros(sql)})`,
  },
  interval: {
    duckdb: 'INTERVAL', arrow: () => new arrow.DurationMicrosecond(), tsvRead: 'DOUBLE',
    fromTsv: sql => `to_microseconds(${micros(sql)})`,
    jsonRead: 'DOUBLE', fromJson: sql => `to_microseconds(${jsonMicros(sql)})`,
    // DuckDB exports INTERVAL as month-day-nano; Arrow duration[us] is int64 µs.
    toArrow: sql => `epoch_us(${sql})`,
    // Parquet's INTERVAL keeps only milliseconds: store int64 µs, as Arrow writers store durations.
    parquet: { duckdb: 'BIGINT', arrow: () => new arrow.Int64(), toTable: sql => `to_microseconds(${sql})` },
  },
  port: {
    duckdb: 'USMALLINT', arrow: () => new arrow.Uint16(), tsvRead: 'USMALLINT', fromTsv: same,
    jsonRead: 'USMALLINT', fromJson: same,
  },
  string: text(),
  enum: plainText(),
  addr: plainText(),
  subnet: plainText(),
  file: text(),
  func: text(),
  pattern: text(),
};

export function duckdbType(type: ZeekType): string {
  return type.kind === 'scalar' ? SCALARS[type.name].duckdb : `${SCALARS[type.element].duckdb}[]`;
}

export function arrowType(type: ZeekType): arrow.DataType {
  if (type.kind === 'scalar') return SCALARS[type.name].arrow();
  return new arrow.List(new arrow.Field('item', SCALARS[type.element].arrow(), true));
}

export function isText(scalar: ZeekScalar): boolean {
  return SCALARS[scalar].duckdb === 'VARCHAR';
}

export { ident, literal };
