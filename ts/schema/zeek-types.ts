// The one table of Zeek's loggable types: for each, how every layer holds it (DuckDB
// table, Arrow batches, Zeek's log text, the reader layout). Everything else derives
// from it; the plugin's C++ checks its own copy against it when it starts
// (plugin/zeek/src/TypeTable.cc), so a type the two sides hold differently is an
// error naming it, never wrong data.
import * as arrow from 'apache-arrow';
import { literal } from './sql-text';
import { formatDouble, formatMicros } from './zeek-text';

/** How one Zeek scalar is held by each layer. */
export interface ScalarMapping {
  container: false;
  /** Column type in DuckDB tables. */
  duckdb: string;
  /** Arrow type of record batches (the plugin's writer builds its format). */
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
  /** Whether the value is text (VARCHAR in tables, strings in JSON). */
  text: boolean;
  /** The ASCII writer's text for a table value (text values are escaped by zeek-format). */
  format(value: unknown): string;
  /** Whether a TSV field's text is a value of the type. */
  tsvOk(text: string): boolean;
  /** Whether a JSON value (not null) is a value of the type. */
  jsonOk(value: unknown): boolean;
  /**
   * The layout readers hand the plugin (plugin/zeek/src/RowValues.cc): its DuckDB type, the
   * Arrow type DuckDB exports that as, whether numbers are µs; absent where readers cannot give it.
   */
  reader?: { sql: string; arrow(): arrow.DataType; micros?: boolean };
  /** SQL giving the reader layout from a source value of DuckDB type `source` (`proto`: a port's protocol column), or undefined. */
  fromSource?(sql: string, source: string, proto?: string): string | undefined;
}

/** A set or vector of scalars: a list in every layer. */
export interface ContainerMapping {
  container: true;
}

const same = (sql: string) => sql;
// The ASCII writer prints time and interval with 6 decimals; below 2^31 s a
// double parsed from that text, times 1e6, is within 0.25 µs, so rounding is exact.
const micros = (sql: string) => `CAST(round(${sql} * 1000000) AS BIGINT)`;
// JSON carries the full double: round it to µs the way the ASCII writer does (log-text-sql.ts).
const jsonMicros = (sql: string) => `zeek_micros(${sql})`;

const MAX_U64 = 18446744073709551615n;
// One way to match a run of digits: a failed match is linear in its length, not quadratic (fuzz-regressions).
const number = /^[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|nan|inf|infinity)$/i;
/** A time or interval is stored in µs in 64 bits (DuckDB's TIMESTAMPTZ, about year 294,000): seconds beyond are no time. */
const MAX_SECONDS = 9.2e12;
const secondsOk = (value: number) => Math.abs(value) <= MAX_SECONDS;
const isInteger = (value: unknown, min: number, max: number) =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

// Source columns readers accept, as DESCRIBE names their types.
const INTEGER = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/;
const NUMBER = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/;
const TIMESTAMP = /^TIMESTAMP( WITH TIME ZONE|_S|_MS|_NS)?$/;

/** A value as @duckdb/node-api or plain JS hands over a time or interval. */
type Micros = { micros: bigint; days?: number; months?: number };

function totalMicros(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  const v = value as Micros;
  const days = BigInt(v.days ?? 0) + BigInt(v.months ?? 0) * 30n;
  return BigInt(v.micros) + days * 86400000000n;
}

/** A number held the same way everywhere but in text. */
function binary(duckdb: string, type: () => arrow.DataType, tsvOk: (text: string) => boolean,
  jsonOk: (value: unknown) => boolean, fromSource: ScalarMapping['fromSource']): ScalarMapping {
  return {
    container: false, duckdb, arrow: type, tsvRead: duckdb, fromTsv: same, jsonRead: duckdb, fromJson: same,
    text: false, format: String, tsvOk, jsonOk, reader: { sql: duckdb, arrow: type }, fromSource,
  };
}

const secondsFromSource = (sql: string, source: string) => NUMBER.test(source) ? micros(sql) : undefined; // seconds, as Zeek counts them
const micros64 = { sql: 'BIGINT', arrow: () => new arrow.Int64(), micros: true };

// Text columns hold what Zeek's JSON writer writes, so JSON needs nothing and
// TSV text only needs work where it has escapes (log-text-sql.ts zeek_tsv_string).
const text = (readable = true): ScalarMapping => ({
  container: false, duckdb: 'VARCHAR', arrow: () => new arrow.Utf8(), tsvRead: 'VARCHAR',
  fromTsv: (sql, empty) => `zeek_tsv_string(${sql}, ${literal(empty)})`,
  jsonRead: 'VARCHAR', fromJson: same,
  text: true, format: String, tsvOk: () => true, jsonOk: value => typeof value === 'string',
  ...readable ? { reader: { sql: 'VARCHAR', arrow: () => new arrow.Utf8() }, fromSource: (sql: string, source: string) => source === 'VARCHAR' ? sql : undefined } : {},
});
// Addresses, subnets and enum names are never empty and never escaped: their text is the value.
const plainText = (): ScalarMapping => ({ ...text(), fromTsv: same });

const SCALAR_TABLE = {
  bool: {
    ...binary('BOOLEAN', () => new arrow.Bool(), t => t === 'T' || t === 'F', v => typeof v === 'boolean',
      (sql, source) => source === 'BOOLEAN' ? sql : undefined),
    format: (value: unknown) => value ? 'T' : 'F',
  },
  int: binary('BIGINT', () => new arrow.Int64(),
    t => /^-?\d+$/.test(t) && BigInt(t) >= -(2n ** 63n) && BigInt(t) < 2n ** 63n,
    v => Number.isInteger(v) && (v as number) >= -(2 ** 63) && (v as number) < 2 ** 63,
    (sql, source) => INTEGER.test(source) ? sql : undefined),
  count: binary('UBIGINT', () => new arrow.Uint64(),
    t => /^\d+$/.test(t) && BigInt(t) <= MAX_U64,
    v => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 64,
    (sql, source) => INTEGER.test(source) ? sql : undefined),
  double: {
    ...binary('DOUBLE', () => new arrow.Float64(), t => number.test(t), v => typeof v === 'number' && Number.isFinite(v),
      (sql, source) => NUMBER.test(source) ? sql : undefined),
    format: (value: unknown) => formatDouble(Number(value)),
  },
  time: {
    container: false, duckdb: 'TIMESTAMPTZ', arrow: () => new arrow.TimestampMicrosecond('UTC'), tsvRead: 'DOUBLE',
    fromTsv: sql => `make_timestamptz(${micros(sql)})`,
    jsonRead: 'DOUBLE', fromJson: sql => `make_timestamptz(${jsonMicros(sql)})`,
    text: false, format: value => formatMicros(totalMicros(value)),
    tsvOk: t => number.test(t) && secondsOk(Number(t)), jsonOk: v => typeof v === 'number' && secondsOk(v),
    reader: micros64,
    fromSource: (sql, source) => TIMESTAMP.test(source)
      ? `epoch_us(${source.includes('_') ? `CAST(${sql} AS TIMESTAMP)` : sql})` : secondsFromSource(sql, source),
  },
  interval: {
    container: false, duckdb: 'INTERVAL', arrow: () => new arrow.DurationMicrosecond(), tsvRead: 'DOUBLE',
    fromTsv: sql => `to_microseconds(${micros(sql)})`,
    jsonRead: 'DOUBLE', fromJson: sql => `to_microseconds(${jsonMicros(sql)})`,
    // DuckDB exports INTERVAL as month-day-nano; Arrow duration[us] is int64 µs.
    toArrow: sql => `epoch_us(${sql})`,
    // Parquet's INTERVAL keeps only milliseconds: store int64 µs, as Arrow writers store durations.
    parquet: { duckdb: 'BIGINT', arrow: () => new arrow.Int64(), toTable: sql => `to_microseconds(${sql})` },
    text: false, format: value => formatMicros(totalMicros(value)),
    tsvOk: t => number.test(t) && secondsOk(Number(t)), jsonOk: v => typeof v === 'number' && secondsOk(v),
    reader: micros64,
    fromSource: (sql, source) => source === 'INTERVAL' ? `epoch_us(${sql})` : secondsFromSource(sql, source),
  },
  port: {
    ...binary('USMALLINT', () => new arrow.Uint16(), t => /^\d+$/.test(t) && Number(t) <= 65535, v => isInteger(v, 0, 65535),
      (sql, source, proto) => {
        const protocol = proto ? `lower(CAST(${proto} AS VARCHAR))` : `'unknown'`;
        if (INTEGER.test(source)) return `CAST(${sql} AS VARCHAR) || '/' || ${protocol}`;
        if (source !== 'VARCHAR') return undefined;
        return proto ? `${sql} || '/' || ${protocol}` : sql; // text such as 80/tcp
      }),
    // Readers give a port as the text Zeek's ASCII reader parses (80/tcp).
    reader: { sql: 'VARCHAR', arrow: () => new arrow.Utf8() },
  },
  string: text(),
  enum: plainText(),
  addr: plainText(),
  subnet: plainText(),
  file: text(false),
  func: text(false),
  pattern: text(),
} satisfies Record<string, ScalarMapping>;

/** Zeek's scalar types by name. */
export type ZeekScalar = keyof typeof SCALAR_TABLE;

/** Zeek's containers of scalars by the name a #types header gives them (`table` is how a set can also appear). */
const CONTAINER_TABLE = {
  set: { container: true },
  vector: { container: true },
} satisfies Record<string, ContainerMapping>;

export type ZeekContainer = keyof typeof CONTAINER_TABLE;

/** The one table: every loggable Zeek type by name, scalars and containers. */
export const ZEEK_TYPES: Record<ZeekScalar, ScalarMapping> & Record<ZeekContainer, ContainerMapping> =
  { ...SCALAR_TABLE, ...CONTAINER_TABLE };

/** The table's entry of a scalar name, or undefined if it is not one. */
export function scalarEntry(name: string): ScalarMapping | undefined {
  const entry = (ZEEK_TYPES as Record<string, ScalarMapping | ContainerMapping>)[name];
  return entry && !entry.container ? entry : undefined;
}

/** Whether a name is a Zeek container type of the table. */
export function isContainerName(name: string): name is ZeekContainer {
  return (ZEEK_TYPES as Record<string, ScalarMapping | ContainerMapping>)[name]?.container === true;
}

/** A type as the plugin checks its C++ against it (plugin/zeek/src/TypeTable.cc): Arrow formats of writer and reader. */
export interface TypeRow { name: string; container: boolean; writer: string; reader: string; readerMicros: boolean }

/** The table's rows for the plugin's check (`formatOf`: an Arrow type's C Data format). */
export function typeTableRows(formatOf: (type: arrow.DataType) => string): TypeRow[] {
  return Object.entries(ZEEK_TYPES as Record<string, ScalarMapping | ContainerMapping>).map(([name, entry]) => entry.container
    ? { name, container: true, writer: '+l', reader: '+l', readerMicros: false }
    : {
      name, container: false, writer: formatOf(entry.arrow()),
      reader: entry.reader ? formatOf(entry.reader.arrow()) : '', readerMicros: entry.reader?.micros ?? false,
    });
}
