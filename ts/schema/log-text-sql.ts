// The SQL macros the type table's SQL for log text calls (zeek-types.ts: zeek_micros,
// zeek_tsv_string), kept beside it so their names and definitions have one home;
// duckdb/database.ts defines them, with the UDF below, on the connections that ingest.

/** The name of the scalar function (schema/zeek-text.ts stringFromTsv) that unescapes TSV string text. */
export const UNESCAPE_TSV = 'zeek_unescape_tsv';

/** The macros, in order, that Database.useLogText() defines on a connection. */
export const LOG_TEXT_MACROS = [
  // modp_dtoa's rounding of a fraction of µs: above half up, exactly half up when odd or zero.
  `CREATE OR REPLACE TEMP MACRO zeek_round_frac(t) AS trunc(t) + CASE WHEN t - trunc(t) > 0.5
     OR (t - trunc(t) = 0.5 AND (trunc(t) = 0 OR trunc(t) % 2 = 1)) THEN 1 ELSE 0 END`,
  `CREATE OR REPLACE TEMP MACRO zeek_abs_micros(a) AS CASE WHEN a >= 2147483647 THEN round(a * 1000000)
     ELSE trunc(a) * 1000000 + zeek_round_frac((a - trunc(a)) * 1000000) END`,
  // Seconds (double) to µs exactly as Zeek's ASCII writer prints them.
  `CREATE OR REPLACE TEMP MACRO zeek_micros(v) AS CAST(sign(v) * zeek_abs_micros(abs(v)) AS BIGINT)`,
  // A TSV string field's text to the column value; only text with escapes needs the UDF.
  `CREATE OR REPLACE TEMP MACRO zeek_tsv_string(t, empty) AS CASE WHEN t = empty THEN ''
     WHEN contains(t, '\\') THEN ${UNESCAPE_TSV}(t) ELSE t END`,
];
