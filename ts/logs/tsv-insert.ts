// One scan of TSV files into a log's table; the lines DuckDB rejected named in the user's words.
import { shownValue } from '../common/shown-value';
import { Database } from '../duckdb/database';
import { zeekTypeName } from '../schema/zeek-type';
import { IngestProblem, LineReports, fileProblem } from './ingest-problem';
import { MAX_LINE_BYTES } from './ingest-memory';
import { IngestRun } from './ingest-run';
import { TsvSection } from './tsv-header';
import { REJECTS_SCAN, REJECTS_TABLE, insertTsvSql, readTsvSql } from './tsv-sql';

/** Bad lines DuckDB's rejects name (with byte offsets) before our own line checks are quicker: see readTsvSql. */
export const MAX_REJECTED_LINES = 100;

/** A quiet insert that passed over lines: how many. */
export class BadLines extends Error {
  constructor(readonly count: number) {
    super(`${count} bad lines`);
  }
}

/** Where a line DuckDB named in a file it read is in the file the user named (byte when it is known). */
export type Locate = (readPath: string, line: number, byte: number) => { file: string; line: number; byte?: number };

/**
 * Inserts TSV files sharing a header; names the lines DuckDB rejected and
 * counts them per file (header lines are rejected too: that is how we pass over them).
 * The rejects are read a chunk at a time, and only the first lines of a file are named.
 */
export async function insertTsv(run: IngestRun, db: Database, section: TsvSection, readPaths: string[], gzip: boolean, locate: Locate,
  problems: IngestProblem[], quiet = false): Promise<{ rows: number; rejected: Map<string, number> }> {
  const { header, schema } = section;
  const tableSchema = run.tables.schemaOf(schema.path)!;
  // Only a scan that keeps rejects makes the tables (a quiet one, the first try of every batch, needs no drop).
  if (!quiet) {
    await db.run(`DROP TABLE IF EXISTS temp.${REJECTS_TABLE}`);
    await db.run(`DROP TABLE IF EXISTS temp.${REJECTS_SCAN}`);
  }
  const source = readTsvSql(readPaths, header, schema, gzip, quiet);
  const result = await db.query(insertTsvSql(run.tables.tableOf(schema.path), tableSchema, header, schema, source));
  if (quiet) return { rows: result.rowsChanged, rejected: new Map() };
  // Scans and rejects are read apart: DuckDB's join of the two, with another connection loading, never ended.
  const scans = new Map((await db.all(`SELECT scan_id, file_id, file_path FROM temp.${REJECTS_SCAN}`))
    .map(r => [`${r.scan_id}:${r.file_id}`, String(r.file_path)]));
  const reports = new LineReports(problems);
  const rejects = await db.connection.stream(`SELECT scan_id, file_id, line, line_byte_position, column_name, error_type,
      left(value, 100) AS value_head, strlen(value) AS value_bytes, left(error_message, 200) AS message
    FROM (SELECT *, CASE WHEN regexp_matches(error_message, 'string "[^"]*"')
        THEN regexp_extract(error_message, 'string "([^"]*)"', 1) END AS value FROM temp.${REJECTS_TABLE}
      WHERE csv_line IS NULL OR NOT starts_with(ltrim(csv_line, chr(10)), '#')
      QUALIFY row_number() OVER (PARTITION BY scan_id, file_id, line ORDER BY column_idx) = 1)
    ORDER BY scan_id, file_id, line`);
  for (let chunk = await rejects.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await rejects.fetchChunk()) {
    for (const [scanId, fileId, line, byte, columnName, type, valueHead, valueBytes, message] of chunk.getRows()) {
      const at = locate(scans.get(`${scanId}:${fileId}`)!, Number(line), Number(byte) - 1); // DuckDB counts bytes from 1
      // Columns are read as c0, c1, ... in the order of the header's fields.
      const column = /^c(\d+)$/.exec(String(columnName ?? ''));
      const field = type === 'CAST' && column ? header.fields[Number(column[1])] : undefined;
      const value = valueHead === null ? undefined : shownValue(String(valueHead), Number(valueBytes));
      reports.add(fileProblem(at.file, rejectMessage(String(type), String(message), section, field, value),
        { line: at.line, byte: at.byte, field }));
    }
  }
  reports.finish();
  return { rows: result.rowsChanged, rejected: reports.counts };
}

function rejectMessage(type: string, message: string, section: TsvSection, field: string | undefined,
  value: string | undefined): string {
  switch (type) {
    case 'MISSING COLUMNS':
    case 'TOO MANY COLUMNS': {
      const found = /Found: (\d+)/.exec(message);
      return `expected ${section.header.fields.length} fields, found ${found ? found[1] : (type === 'MISSING COLUMNS' ? 'fewer' : 'more')}`;
    }
    case 'CAST': {
      const type = field ? section.schema.fields.find(f => f.name === field)?.type : undefined;
      const typeName = type ? zeekTypeName(type) : 'its type';
      return value !== undefined ? `'${value}' is not a ${typeName}` : message;
    }
    case 'LINE SIZE OVER MAXIMUM': {
      const size = /Actual Size:\s*(\d+)/.exec(message);
      return `line of ${size ? size[1] : 'more'} bytes: longer than the ${MAX_LINE_BYTES} bytes a line may have`;
    }
    default:
      return message.split('\n')[0];
  }
}
