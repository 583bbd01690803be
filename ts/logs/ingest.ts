import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Database } from '../duckdb/database';
import { LogTables } from '../duckdb/log-tables';
import { LogSchema } from '../schema/log-schema';
import { zeekTypeName } from '../schema/zeek-type';
import { LogFilePeek, ScannedLog, peekLogFile, scanLogFile } from './log-file-scan';
import { LogFormatError, TsvSection, parseSections, sectionSignature } from './tsv-header';
import { REJECTS_SCAN, REJECTS_TABLE, insertTsvSql, readTsvSql } from './tsv-sql';
import { insertJsonSql, readJsonSql } from './json-sql';
import { jsonLogSchema, jsonLogShape } from './json-schema';
import { LineCheck, LineRange, copyLineRanges, jsonLineCheck, tsvLineCheck } from './line-check';

export interface IngestProblem {
  file: string;
  line?: number;
  /** Byte offset in the (decompressed) file. */
  byte?: number;
  field?: string;
  message: string;
  severity: 'error' | 'warning';
}

export function formatProblem(p: IngestProblem): string {
  const where = `${p.file}${p.line !== undefined ? `:${p.line}` : ''}`;
  const byte = p.byte !== undefined ? ` (byte ${p.byte})` : '';
  const field = p.field ? `field '${p.field}': ` : '';
  return `${p.severity}: ${where}${byte}: ${field}${p.message}`;
}

export interface IngestSummary {
  filesIngested: number;
  /** Files whose content was already in the database (or twice in this run). */
  filesSkipped: number;
  rows: number;
  rowsByLog: Record<string, number>;
  problems: IngestProblem[];
}

export interface IngestOptions {
  onFile?: (file: string, done: number, total: number) => void;
  /** Keep each table's rows in the order of the log lines (slower: DuckDB then writes through its WAL). */
  keepOrder?: boolean;
}

const LOG_NAME = /\.(log|json)(\.gz)?$/;

/** Log files under the inputs: files as given, directories searched for *.log[.gz] and *.json[.gz]. */
export async function listLogFiles(inputs: string[], problems: IngestProblem[]): Promise<string[]> {
  const files: string[] = [];
  const visit = async (path: string, explicit: boolean): Promise<void> => {
    let info;
    try {
      info = await stat(path);
    } catch (e) {
      problems.push({ file: path, message: `cannot read: ${systemMessage(e)}`, severity: 'error' });
      return;
    }
    if (info.isDirectory()) {
      let entries: string[];
      try {
        entries = (await readdir(path)).sort();
      } catch (e) {
        problems.push({ file: path, message: `cannot list: ${systemMessage(e)}`, severity: 'error' });
        return;
      }
      for (const entry of entries) await visit(join(path, entry), false);
    } else if (explicit || LOG_NAME.test(path)) {
      files.push(path);
    }
  };
  for (const input of inputs) await visit(input, true);
  return files;
}

/** A log's path from its file name: `conn.log`, `conn.2024-01-01-00-00-00.log.gz` → `conn`. */
export function logPathFromFileName(file: string): string {
  return basename(file).split('.')[0];
}

/** A piece of a log file DuckDB reads in one scan: the file itself or a copy of some of its lines. */
interface Piece {
  readPath: string;
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

/** Bad lines DuckDB's rejects name (with their byte offsets) before our own line checks are quicker: see readTsvSql. */
const MAX_REJECTED_LINES = 100;

/** A TSV file (or a copy of some of its lines) for one scan. */
interface TsvSource {
  readPath: string;
  lineOffset: number;
  gzip: boolean;
  /** The file the user named, for messages. */
  file: string;
}

/** Files read by one scan: enough to keep DuckDB busy, few enough for one statement. */
const MAX_GROUP_FILES = 512;

/** TSV files that start with the same header (and compression). */
interface TsvGroup {
  section: TsvSection;
  signature: string;
  gzip: boolean;
  files: string[];
  bytes: number;
}

/** Groups loading at once, each on its own connection. */
const LOADERS = 2;


/** Brings Zeek logs (TSV or JSON, plain or gzipped) into a table per log path. */
export class LogIngester {
  private problems: IngestProblem[] = [];
  private rowsByLog: Record<string, number> = {};
  private tsvSchemas = new Map<string, LogSchema>();
  private tmp = '';
  private known = new Set<string>();
  private skipped = 0;

  private constructor(private db: Database, private tables: LogTables) {}

  static async ingest(db: Database, inputs: string[], options: IngestOptions = {}): Promise<IngestSummary> {
    const ingester = new LogIngester(db, await LogTables.open(db));
    return ingester.run(inputs, options);
  }

  private async run(inputs: string[], options: IngestOptions): Promise<IngestSummary> {
    const files = await listLogFiles(inputs, this.problems);
    this.known = await this.tables.knownFiles();
    this.tmp = await mkdtemp(join(tmpdir(), 'zeek-arrow-ingest-'));
    await this.db.useLogText();
    // Loading files in parallel without keeping line order roughly halves what commits cost.
    await this.db.run(`SET preserve_insertion_order = ${options.keepOrder ? 'true' : 'false'}`);
    let ingested = 0;
    let done = 0;
    const progress = (n: number, file: string) => { options.onFile?.(file, done, files.length); done += n; };
    try {
      const peeks: LogFilePeek[] = [];
      for (const file of files) {
        try {
          peeks.push(await peekLogFile(file));
        } catch (e) {
          this.problems.push(fileProblem(file, `cannot read: ${systemMessage(e)}`));
        }
      }
      const { groups, alone } = this.groupTsv(peeks.filter(p => p.format === 'tsv'));
      for (const group of groups) {
        await this.tables.ensure(group.section.schema);
        this.tsvSchemas.set(group.section.schema.path, group.section.schema);
      }
      // Two groups load at once: one's single-threaded commit overlaps the other's scan,
      // and a group's files are hashed while the other group loads.
      const later: ScannedLog[] = [];
      const connections = [this.db, ...await Promise.all(Array.from({ length: LOADERS - 1 }, async () => {
        const own = await this.db.fork();
        await own.useLogText();
        return own;
      }))];
      try {
        const queue = [...groups].sort((a, b) => b.bytes - a.bytes);
        await Promise.all(connections.map(async db => {
          for (let group = queue.shift(); group; group = queue.shift()) {
            progress(group.files.length, group.files[0]);
            const logs: ScannedLog[] = [];
            for (const file of group.files) {
              const log = await this.scanNew(file);
              if (!log) continue;
              // The full scan can find what the first 64 KB did not: a broken gzip, another header later.
              if (log.truncated || tooWide(log, [group.section]) || !this.soleSignature(log, group.signature)) later.push(log);
              else logs.push(log);
            }
            if (logs.length === 0) continue;
            if (await this.ingestGroup(db, group.section, group.gzip, logs)) ingested += logs.length;
            else later.push(...logs);
          }
        }));
      } finally {
        for (const db of connections.slice(1)) db.close();
      }
      // The rest one at a time; TSV before JSON, so JSON logs of the same path take their types.
      for (const file of alone) {
        const log = await this.scanNew(file);
        if (log) later.push(log);
      }
      const json: ScannedLog[] = [];
      for (const peek of peeks.filter(p => p.format === 'json')) {
        const log = await this.scanNew(peek.file);
        if (log) json.push(log);
      }
      for (const log of [...later, ...json]) {
        progress(1, log.file);
        if (await this.ingestFile(log)) ingested++;
      }
    } finally {
      await rm(this.tmp, { recursive: true, force: true });
    }
    const rows = Object.values(this.rowsByLog).reduce((a, b) => a + b, 0);
    return { filesIngested: ingested, filesSkipped: this.skipped, rows, rowsByLog: this.rowsByLog, problems: this.problems };
  }

  /** Scans a file; undefined when it cannot be read or its content is already in (or ahead in) the database. */
  private async scanNew(file: string): Promise<ScannedLog | undefined> {
    try {
      const log = await scanLogFile(file);
      if (this.known.has(log.sha256)) {
        this.skipped++;
        return undefined;
      }
      this.known.add(log.sha256);
      return log;
    } catch (e) {
      this.problems.push(fileProblem(file, `cannot read: ${systemMessage(e)}`));
      return undefined;
    }
  }

  /** Whether every section of the file has this signature. */
  private soleSignature(log: ScannedLog, signature: string): boolean {
    try {
      const sections = parseSections(log.file, log.headerLines, logPathFromFileName(log.file));
      return sections.length > 0 && sections.every(s => sectionSignature(s) === signature);
    } catch {
      return false;
    }
  }

  /**
   * TSV files starting with the same header are read together, one scan and
   * one transaction per header: DuckDB reads many files at once far faster
   * than one by one. Files without a usable header go alone.
   */
  private groupTsv(peeks: LogFilePeek[]): { groups: TsvGroup[]; alone: string[] } {
    const groups = new Map<string, TsvGroup>();
    const alone: string[] = [];
    for (const peek of peeks) {
      let sections: TsvSection[] = [];
      try {
        sections = parseSections(peek.file, peek.headerLines, logPathFromFileName(peek.file));
      } catch {
        // ingestFile names the problem
      }
      if (sections.length !== 1) {
        alone.push(peek.file);
        continue;
      }
      const signature = sectionSignature(sections[0]);
      const key = `${peek.gzip}${signature}`;
      const group = groups.get(key) ?? { section: sections[0], signature, gzip: peek.gzip, files: [], bytes: 0 };
      group.files.push(peek.file);
      group.bytes += statSync(peek.file).size;
      groups.set(key, group);
    }
    const chunks = [...groups.values()].flatMap(g =>
      Array.from({ length: Math.ceil(g.files.length / MAX_GROUP_FILES) }, (_, i) =>
        ({ ...g, files: g.files.slice(i * MAX_GROUP_FILES, (i + 1) * MAX_GROUP_FILES) })));
    return { groups: chunks, alone };
  }

  /** Loads files sharing one header in one scan on `db`; false when one of them needs to go alone. */
  private async ingestGroup(db: Database, section: TsvSection, gzip: boolean, logs: ScannedLog[]): Promise<boolean> {
    const logPath = section.schema.path;
    const problems: IngestProblem[] = [];
    try {
      const sources = logs.map(log => ({ readPath: log.file, lineOffset: 0, gzip, file: log.file }));
      const dataLines = logs.reduce((n, log) => n + log.lines - log.headerLines.length - log.blankLines, 0);
      // Quietly first: when every line is read, no rejects are needed; with many bad lines, each file goes alone.
      let quiet = 0;
      try {
        quiet = await db.transaction(async () => {
          const result = await this.insertTsv(db, section, sources, problems, true);
          if (result.rows !== dataLines) throw new Error(`${dataLines - result.rows} bad lines`);
          await this.tables.recordFiles(logs.map(log => ({ sha256: log.sha256, file: log.file, logPath,
            format: log.format, bytes: log.bytes, lines: log.lines, rows: log.lines - log.headerLines.length - log.blankLines, errors: 0 })), db);
          return result.rows;
        });
      } catch (e) {
        const bad = /^(\d+) bad lines$/.exec((e as Error).message);
        if (!bad || Number(bad[1]) > MAX_REJECTED_LINES) return false;
      }
      if (quiet === dataLines) {
        this.rowsByLog[logPath] = (this.rowsByLog[logPath] ?? 0) + quiet;
        return true;
      }
      const rows = await db.transaction(async () => {
        const result = await this.insertTsv(db, section, sources, problems);
        // Every line is a header, an empty line, a rejected line or a row.
        const perFile = logs.map(log => log.lines - log.headerLines.length - log.blankLines - (result.rejected.get(log.file) ?? 0));
        const total = perFile.reduce((a, b) => a + b, 0);
        if (total !== result.rows) throw new Error(`rows counted ${total}, inserted ${result.rows}`);
        await this.tables.recordFiles(logs.map((log, i) => ({ sha256: log.sha256, file: log.file, logPath,
          format: log.format, bytes: log.bytes, lines: log.lines, rows: perFile[i], errors: result.rejected.get(log.file) ?? 0 })), db);
        return result.rows;
      });
      this.problems.push(...problems);
      this.rowsByLog[logPath] = (this.rowsByLog[logPath] ?? 0) + rows;
      return true;
    } catch {
      return false;
    }
  }

  private async ingestFile(log: ScannedLog): Promise<boolean> {
    if (log.truncated) {
      this.problems.push(fileProblem(log.file, `${log.truncated.message} at compressed byte ` +
        `${log.truncated.compressedOffset}; the lines before it are ingested`, { line: log.truncated.line }));
    }
    try {
      const planned = log.format === 'tsv' ? await this.tsvPieces(log) : await this.jsonPieces(log);
      if (!planned) return false;
      const rows = await this.load(log, planned.logPath, planned.pieces);
      if (rows === undefined) return false;
      this.rowsByLog[planned.logPath] = (this.rowsByLog[planned.logPath] ?? 0) + rows;
      return true;
    } catch (e) {
      // Whatever stops one file is its problem: the other files are still ingested.
      if (!(e instanceof LogFormatError)) this.problems.push(fileProblem(log.file, `cannot be read: ${(e as Error).message.split('\n')[0]}`));
      else this.problems.push(fileProblem(log.file, e.reason, { line: e.line }));
      return false;
    }
  }

  /**
   * Loads a file's pieces and records the file, all in one transaction. If
   * DuckDB cannot read a piece whole, every piece is checked line by line,
   * bad lines are named and blanked (so line numbers stay), and it tries once more.
   */
  private async load(log: ScannedLog, logPath: string, pieces: Piece[]): Promise<number | undefined> {
    const attempt = (ps: Piece[], problems: IngestProblem[]) => this.db.transaction(async () => {
      let rows = 0;
      for (const p of ps) rows += await p.insert(p, problems);
      const errors = problems.filter(p => p.severity === 'error').length + (log.truncated ? 1 : 0);
      await this.tables.recordFiles([{
        sha256: log.sha256, file: log.file, logPath, format: log.format, bytes: log.bytes, lines: log.lines, rows, errors,
      }]);
      return rows;
    });
    // Quietly first where the data lines are known: all read, no rejects needed; many bad, our checks name them.
    let checkFirst = false;
    if (pieces.every(p => p.dataLines !== undefined)) {
      const expected = pieces.reduce((n, p) => n + p.dataLines!, 0);
      try {
        return await this.db.transaction(async () => {
          let rows = 0;
          for (const p of pieces) rows += await p.insert(p, [], true);
          if (rows !== expected) throw new Error(`${expected - rows} bad lines`);
          await this.tables.recordFiles([{
            sha256: log.sha256, file: log.file, logPath, format: log.format, bytes: log.bytes, lines: log.lines, rows, errors: log.truncated ? 1 : 0,
          }]);
          return rows;
        });
      } catch (e) {
        const bad = /^(\d+) bad lines$/.exec((e as Error).message);
        checkFirst = bad !== null && Number(bad[1]) > MAX_REJECTED_LINES;
      }
    }
    const firstProblems: IngestProblem[] = [];
    try {
      if (checkFirst) throw new Error('too many bad lines for DuckDB\'s rejects');
      const rows = await attempt(pieces, firstProblems);
      this.problems.push(...firstProblems);
      return rows;
    } catch (first) {
      const problems: IngestProblem[] = [];
      const cleaned: Piece[] = [];
      for (const p of pieces) {
        const copy = await copyLineRanges(p.readPath, [{ from: 1, to: Number.MAX_SAFE_INTEGER, check: p.check }],
          await mkdtemp(join(this.tmp, 'clean-')));
        for (const bad of copy.problems) {
          problems.push(fileProblem(log.file, bad.message, { line: bad.line + p.lineOffset, field: bad.field }));
        }
        cleaned.push({ ...p, readPath: copy.files[0], gzip: false });
      }
      try {
        const rows = await attempt(cleaned, problems);
        this.problems.push(...problems);
        return rows;
      } catch (second) {
        this.problems.push(...problems);
        const reason = ((problems.length ? second : first) as Error).message.split('\n')[0];
        this.problems.push(fileProblem(log.file, `cannot be read: ${reason}`));
        return undefined;
      }
    }
  }

  /** Splits a TSV log into pieces DuckDB can read in one scan each. */
  private async tsvPieces(log: ScannedLog): Promise<{ logPath: string; pieces: Piece[] } | undefined> {
    const sections = parseSections(log.file, log.headerLines, logPathFromFileName(log.file));
    if (sections.length === 0) {
      this.problems.push(fileProblem(log.file, log.bytes === 0 ? 'empty file' : 'no #fields/#types header: not a Zeek log',
        { line: 1 }));
      return undefined;
    }
    const logPath = sections[0].schema.path;
    const pieceOf = (section: TsvSection, readPath: string, gzip: boolean, lineOffset: number): Piece => ({
      readPath, gzip, lineOffset,
      check: tsvLineCheck(section.header, section.schema),
      insert: async (p, problems, quiet) =>
        (await this.insertTsv(this.db, section, [{ readPath: p.readPath, lineOffset: p.lineOffset, gzip: p.gzip, file: log.file }], problems, quiet)).rows,
    });
    const runs: TsvSection[][] = [];
    for (const s of sections) {
      if (s.schema.path !== logPath) {
        throw new LogFormatError(log.file, s.typesLine, `#path changes from '${logPath}' to '${s.schema.path}'`);
      }
      const last = runs[runs.length - 1];
      if (last && sectionSignature(last[0]) === sectionSignature(s)) last.push(s);
      else runs.push([s]);
    }
    for (const run of runs) {
      await this.tables.ensure(run[0].schema);
      this.tsvSchemas.set(logPath, run[0].schema);
    }
    const wide = tooWide(log, sections);
    if (runs.length === 1 && !log.truncated && !wide) {
      const whole = pieceOf(sections[0], log.file, log.gzip, 0);
      whole.dataLines = log.lines - log.headerLines.length - log.blankLines;
      return { logPath, pieces: [whole] };
    }
    // Sections with different fields, a broken gzip, or lines too wide for DuckDB's rejects (checked here instead):
    // copy each run of alike sections out.
    const lastLine = log.truncated ? log.truncated.line - 1 : log.lines;
    const ranges: LineRange[] = runs.map((run, i) => ({
      from: run[0].headerStart,
      to: i + 1 < runs.length ? runs[i + 1][0].headerStart - 1 : lastLine,
      check: wide ? tsvLineCheck(run[0].header, run[0].schema) : undefined,
    }));
    const { files, problems } = await copyLineRanges(log.file, ranges, await mkdtemp(join(this.tmp, 'sections-')));
    for (const bad of problems) this.problems.push(fileProblem(log.file, bad.message, { line: bad.line, field: bad.field }));
    return { logPath, pieces: runs.map((run, i) => pieceOf(run[0], files[i], false, ranges[i].from - 1)) };
  }

  /**
   * Inserts TSV files sharing a header; names the lines DuckDB rejected and
   * counts them per file (header lines are rejected too: that is how we pass over them).
   */
  private async insertTsv(db: Database, section: TsvSection, sources: TsvSource[], problems: IngestProblem[], quiet = false):
    Promise<{ rows: number; rejected: Map<string, number> }> {
    const { header, schema } = section;
    const tableSchema = this.tables.schemaOf(schema.path)!;
    await db.run(`DROP TABLE IF EXISTS temp.${REJECTS_TABLE}`);
    await db.run(`DROP TABLE IF EXISTS temp.${REJECTS_SCAN}`);
    const source = readTsvSql(sources.map(s => s.readPath), header, schema, sources[0].gzip, quiet);
    const result = await db.query(insertTsvSql(this.tables.tableOf(schema.path), tableSchema, header, schema, source));
    if (quiet) return { rows: result.rowsChanged, rejected: new Map() };
    const rejects = await db.all(`SELECT s.file_path, r.line, r.line_byte_position, r.column_name, r.error_type,
        r.csv_line, r.error_message
      FROM temp.${REJECTS_TABLE} r JOIN temp.${REJECTS_SCAN} s USING (scan_id, file_id) ORDER BY s.file_path, r.line, r.column_idx`);
    const byPath = new Map(sources.map(s => [s.readPath, s]));
    const seen = new Set<string>();
    const rejected = new Map<string, number>();
    for (const r of rejects) {
      const src = byPath.get(String(r.file_path))!;
      const line = Number(r.line);
      const key = `${src.readPath}:${line}`;
      if (String(r.csv_line ?? '').startsWith('#') || seen.has(key)) continue;
      seen.add(key);
      rejected.set(src.readPath, (rejected.get(src.readPath) ?? 0) + 1);
      // Columns are read as c0, c1, ... in the order of the header's fields.
      const column = /^c(\d+)$/.exec(String(r.column_name ?? ''));
      const field = r.error_type === 'CAST' && column ? header.fields[Number(column[1])] : undefined;
      problems.push(fileProblem(src.file, rejectMessage(String(r.error_type), String(r.error_message), section, field), {
        // DuckDB counts bytes from 1; we name 0-based offsets.
        line: line + src.lineOffset, byte: src.lineOffset === 0 && !src.gzip ? Number(r.line_byte_position) - 1 : undefined, field,
      }));
    }
    return { rows: result.rowsChanged, rejected };
  }

  private async jsonPieces(log: ScannedLog): Promise<{ logPath: string; pieces: Piece[] } | undefined> {
    const shape = await jsonLogShape(this.db, log.file, log.gzip, logPathFromFileName(log.file));
    if (shape.keys.length === 0) {
      this.problems.push(fileProblem(log.file, log.bytes === 0 ? 'empty file' : 'no JSON records found', { line: 1 }));
      return undefined;
    }
    const { schema, guessed } = jsonLogSchema(shape, this.tables.schemaOf(shape.path) ?? this.tsvSchemas.get(shape.path));
    if (guessed.length) {
      this.problems.push(fileProblem(log.file, `log '${shape.path}' has no known Zeek types for ` +
        `${guessed.join(', ')}: guessed from the JSON values`, { severity: 'warning' }));
    }
    try {
      await this.tables.ensure(schema);
    } catch (e) {
      throw new LogFormatError(log.file, undefined, (e as Error).message);
    }
    let readPath = log.file;
    let gzip = log.gzip;
    if (log.truncated) {
      const copy = await copyLineRanges(log.file, [{ from: 1, to: log.truncated.line - 1 }], await mkdtemp(join(this.tmp, 'json-')));
      readPath = copy.files[0];
      gzip = false;
    }
    const piece: Piece = {
      readPath, gzip, lineOffset: 0,
      check: jsonLineCheck(schema),
      insert: async p => {
        const table = this.tables.schemaOf(schema.path)!;
        const sql = insertJsonSql(this.tables.tableOf(schema.path), table, schema, readJsonSql([p.readPath], schema, p.gzip));
        return (await this.db.query(sql)).rowsChanged;
      },
    };
    return { logPath: schema.path, pieces: [piece] };
  }
}

/** Whether a line has more fields than any header of the file: DuckDB must not see it (WIDE_LINE_BYTES). */
function tooWide(log: ScannedLog, sections: TsvSection[]): boolean {
  return log.wideFields > Math.max(...sections.map(s => s.header.fields.length));
}

/** A system error without the path it repeats: `ENOENT: no such file or directory`. */
function systemMessage(e: unknown): string {
  return (e as Error).message.replace(/, \w+ '[^']*'$/, '');
}

function fileProblem(file: string, message: string, extra: Partial<IngestProblem> = {}): IngestProblem {
  return { file, message, severity: 'error', ...extra };
}

function rejectMessage(type: string, message: string, section: TsvSection, field: string | undefined): string {
  switch (type) {
    case 'MISSING COLUMNS':
    case 'TOO MANY COLUMNS': {
      const found = /Found: (\d+)/.exec(message);
      return `expected ${section.header.fields.length} fields, found ${found ? found[1] : (type === 'MISSING COLUMNS' ? 'fewer' : 'more')}`;
    }
    case 'CAST': {
      const value = /string "([^"]*)"/.exec(message);
      const type = field ? section.schema.fields.find(f => f.name === field)?.type : undefined;
      const typeName = type ? zeekTypeName(type) : 'its type';
      return value ? `'${value[1]}' is not a ${typeName}` : message;
    }
    default:
      return message.split('\n')[0];
  }
}
