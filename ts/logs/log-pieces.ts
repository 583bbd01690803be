// A log file cut into pieces DuckDB reads in one scan each: TSV runs of alike sections, JSON records by _path.
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { shownValue } from '../common/shown-value';
import { IngestProblem, LineReports, cutProblem, fileProblem } from './ingest-problem';
import { IngestRun, ensureTable } from './ingest-run';
import { jsonLogSchema, jsonLogShapes } from './json-schema';
import { insertJsonSql, readJsonSql } from './json-sql';
import { LineCheck, LineRange, copyLineRanges, jsonLineCheck, tsvLineCheck } from './line-check';
import { ScannedLog } from './log-file-scan';
import { logPathFromFileName } from './log-files';
import { dataLines, tooWide } from './tsv-groups';
import { LogFormatError, TsvSection, parseSections, sectionSignature } from './tsv-header';
import { Locate, insertTsv } from './tsv-insert';

/** A piece of a log file DuckDB reads in one scan: the file itself or a copy of some of its lines. */
export interface Piece {
  readPath: string;
  /** The log whose rows it holds. */
  logPath: string;
  gzip: boolean;
  /** Add to a line number in readPath to get the line in the original file. */
  lineOffset: number;
  /** Names a bad line when DuckDB cannot read the piece whole. */
  check: LineCheck;
  /** Inserts the piece's rows, reporting lines DuckDB passed over (quiet: passing over them unreported); returns the row count. */
  insert(piece: Piece, problems: IngestProblem[], quiet?: boolean): Promise<number>;
  /** Data lines of the piece, when known (the whole of a TSV file): a quiet insert of that many rows read every line. */
  dataLines?: number;
}

/** Splits a TSV log into pieces DuckDB can read in one scan each. */
export async function tsvPieces(run: IngestRun, log: ScannedLog): Promise<{ logPath: string; pieces: Piece[] } | undefined> {
  const sections = parseSections(log.file, log.headerLines, logPathFromFileName(log.file));
  if (sections.length === 0) {
    run.problems.push(fileProblem(log.file, log.bytes === 0 ? 'empty file' : 'no #fields/#types header: not a Zeek log',
      { line: 1 }));
    return undefined;
  }
  const logPath = sections[0].schema.path;
  const pieceOf = (section: TsvSection, readPath: string, gzip: boolean, lineOffset: number): Piece => ({
    readPath, gzip, lineOffset, logPath,
    check: tsvLineCheck(section.header, section.schema),
    insert: async (p, problems, quiet) => {
      const locate: Locate = (_path, line, byte) =>
        ({ file: log.file, line: line + p.lineOffset, byte: p.lineOffset === 0 && !p.gzip ? byte : undefined });
      return (await insertTsv(run, run.db, section, [p.readPath], p.gzip, locate, problems, quiet)).rows;
    },
  });
  const runs: TsvSection[][] = [];
  for (const s of sections) {
    if (s.schema.path !== logPath) {
      throw new LogFormatError(log.file, s.typesLine, `#path changes from '${shownValue(logPath)}' to '${shownValue(s.schema.path)}'`);
    }
    const last = runs[runs.length - 1];
    if (last && sectionSignature(last[0]) === sectionSignature(s)) last.push(s);
    else runs.push([s]);
  }
  for (const alike of runs) {
    if (!await ensureTable(run, alike[0].schema, log.file, alike[0].typesLine)) return undefined;
    run.tsvSchemas.set(logPath, alike[0].schema);
  }
  if (log.cut) run.problems.push(cutProblem(log));
  const wide = tooWide(log, sections);
  if (runs.length === 1 && !log.truncated && !log.cut && !wide) {
    const whole = pieceOf(sections[0], log.file, log.gzip, 0);
    whole.dataLines = dataLines(log);
    return { logPath, pieces: [whole] };
  }
  // Sections with different fields, a broken gzip, a cut last line or lines too wide for DuckDB's rejects (checked
  // here instead): copy each run of alike sections out.
  const lastLine = log.truncated ? log.truncated.line - 1 : log.cut ? log.cut.line - 1 : log.lines;
  const ranges: LineRange[] = runs.map((alike, i) => ({
    from: alike[0].headerStart,
    to: i + 1 < runs.length ? runs[i + 1][0].headerStart - 1 : lastLine,
    check: wide ? tsvLineCheck(alike[0].header, alike[0].schema) : undefined,
  }));
  const { files, problems } = await copyLineRanges(log.file, ranges, await mkdtemp(join(run.tmp, 'sections-')));
  const reports = new LineReports(run.problems);
  for (const bad of problems) reports.add(fileProblem(log.file, bad.message, { line: bad.line, field: bad.field }));
  reports.finish();
  return { logPath, pieces: runs.map((alike, i) => pieceOf(alike[0], files[i], false, ranges[i].from - 1)) };
}

/** A piece per `_path` the records carry: each record goes to its own log's table. */
export async function jsonPieces(run: IngestRun, log: ScannedLog): Promise<{ logPath: string; pieces: Piece[] } | undefined> {
  const shapes = (await jsonLogShapes(run.db, log.file, log.gzip, logPathFromFileName(log.file))).filter(s => s.keys.length > 0);
  if (shapes.length === 0) {
    run.problems.push(fileProblem(log.file, log.bytes === 0 ? 'empty file' : 'no JSON records found', { line: 1 }));
    return undefined;
  }
  let readPath = log.file;
  let gzip = log.gzip;
  if (log.truncated) {
    const copy = await copyLineRanges(log.file, [{ from: 1, to: log.truncated.line - 1 }], await mkdtemp(join(run.tmp, 'json-')));
    readPath = copy.files[0];
    gzip = false;
  }
  const pieces: Piece[] = [];
  for (const shape of shapes) {
    const { schema, guessed } = jsonLogSchema(shape, run.tables.schemaOf(shape.path) ?? run.tsvSchemas.get(shape.path));
    if (guessed.length) {
      run.problems.push(fileProblem(log.file, `log '${shownValue(shape.path)}' has no known Zeek types for ` +
        `${guessed.map(g => shownValue(g)).join(', ')}: guessed from the JSON values`, { severity: 'warning' }));
    }
    if (!await ensureTable(run, schema, log.file)) continue;
    const only = shapes.length > 1 ? shape.recordPath : undefined;
    pieces.push({
      readPath, gzip, lineOffset: 0, logPath: schema.path,
      check: jsonLineCheck(schema, only),
      insert: async p => {
        const table = run.tables.schemaOf(schema.path)!;
        const sql = insertJsonSql(run.tables.tableOf(schema.path), table, schema, readJsonSql([p.readPath], schema, p.gzip, only));
        return (await run.db.query(sql)).rowsChanged;
      },
    });
  }
  if (pieces.length === 0) return undefined;
  return { logPath: pieces[0].logPath, pieces };
}
