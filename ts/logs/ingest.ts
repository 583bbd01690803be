import { systemReason } from '../system-error';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Database } from '../duckdb/database';
import { LogTables } from '../duckdb/log-tables';
import { LogSchema } from '../schema/log-schema';
import { zeekTypeName } from '../schema/zeek-type';
import { ScannedLog, peekLogFile, scanLogFile } from './log-file-scan';
import { CombinedTsv } from './combined-tsv';
import { shownValue } from './shown-value';
import { LogFormatError, TsvSection, parseSections, sectionSignature } from './tsv-header';
import { REJECTS_SCAN, REJECTS_TABLE, insertTsvSql, readTsvSql } from './tsv-sql';
import { insertJsonSql, readJsonSql } from './json-sql';
import { jsonLogSchema, jsonLogShapes } from './json-schema';
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
      problems.push({ file: path, message: `cannot read: ${systemReason(e)}`, severity: 'error' });
      return;
    }
    if (info.isDirectory()) {
      let entries: string[];
      try {
        entries = (await readdir(path)).sort();
      } catch (e) {
        problems.push({ file: path, message: `cannot list: ${systemReason(e)}`, severity: 'error' });
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

/** Bad lines DuckDB's rejects name (with byte offsets) before our own line checks are quicker: see readTsvSql. */
const MAX_REJECTED_LINES = 100;

/** A quiet insert that passed over lines: how many. */
class BadLines extends Error {
  constructor(readonly count: number) {
    super(`${count} bad lines`);
  }
}

/** Where a line DuckDB named in a file it read is in the file the user named (byte when it is known). */
type Locate = (readPath: string, line: number, byte: number) => { file: string; line: number; byte?: number };

/** Small logs sharing a header are copied into one file of about this size for one scan (combined-tsv.ts). */
const COMBINED_BYTES = 64 << 20;

/** A log at least this big is read by DuckDB where it is, not copied. */
const DIRECT_BYTES = 16 << 20;

/** Bad lines named per file; the rest are counted. */
const NAMED_LINES = 100;

/** TSV files that start with the same header. */
interface TsvGroup {
  section: TsvSection;
  signature: string;
  files: { file: string; bytes: number }[];
  bytes: number;
  /** The next file a loader takes. */
  next: number;
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
      const { groups, alone, json } = await this.groupTsv(files);
      const ready: TsvGroup[] = [];
      for (const group of groups) {
        try {
          await this.tables.ensure(group.section.schema);
          this.tsvSchemas.set(group.section.schema.path, group.section.schema);
          ready.push(group);
        } catch (e) {
          // Every file of the group is named: none of them has a table.
          for (const { file } of group.files) {
            this.problems.push(fileProblem(file, (e as Error).message, { line: group.section.typesLine }));
          }
          progress(group.files.length, group.files[0].file);
        }
      }
      // Two loaders at once: one's single-threaded commit overlaps the other's scan,
      // and the files of one batch are read and copied while the other batch loads.
      const later: ScannedLog[] = [];
      const connections = [this.db, ...await Promise.all(Array.from({ length: LOADERS - 1 }, async () => {
        const own = await this.db.fork();
        await own.useLogText();
        return own;
      }))];
      try {
        const queue = ready.sort((a, b) => b.bytes - a.bytes);
        let batch = 0;
        await Promise.all(connections.map(async db => {
          for (;;) {
            while (queue.length && queue[0].next >= queue[0].files.length) queue.shift();
            const group = queue[0];
            if (!group) return;
            const first = group.files[group.next];
            if (first.bytes >= DIRECT_BYTES) {
              group.next++;
              progress(1, first.file);
              const log = await this.scanNew(first.file);
              if (!log) continue;
              if (log.truncated || log.cut || tooWide(log, [group.section]) || !this.soleSignature(log, group.signature)) later.push(log);
              else if (await this.ingestDirect(db, group.section, log)) ingested++;
              else later.push(log);
              continue;
            }
            const combined = CombinedTsv.create(join(this.tmp, `combined-${batch++}.log`));
            const logs: ScannedLog[] = [];
            try {
              while (combined.size < COMBINED_BYTES && group.next < group.files.length && group.files[group.next].bytes < DIRECT_BYTES) {
                const { file } = group.files[group.next++];
                progress(1, file);
                try {
                  let kept = false;
                  const log = await combined.add(file, log => {
                    if (this.known.has(log.sha256)) {
                      this.skipped++;
                      return false;
                    }
                    this.known.add(log.sha256);
                    // The full scan can find what the first 64 KB did not: a broken gzip, another header later.
                    if (log.truncated || tooWide(log, [group.section]) || !this.soleSignature(log, group.signature)) {
                      later.push(log);
                      return false;
                    }
                    kept = true;
                    return true;
                  });
                  if (kept) logs.push(log);
                } catch (e) {
                  this.problems.push(fileProblem(file, `cannot read: ${systemReason(e)}`));
                }
              }
            } finally {
              combined.close();
            }
            if (logs.length === 0) continue;
            if (await this.ingestCombined(db, group.section, combined, logs)) ingested += logs.length;
            else later.push(...logs);
            await rm(combined.path, { force: true });
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
      for (const log of later) {
        progress(1, log.file);
        if (await this.ingestFile(log)) ingested++;
      }
      later.length = 0;
      for (const file of json) {
        const log = await this.scanNew(file);
        if (!log) continue;
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
      this.problems.push(fileProblem(file, `cannot read: ${systemReason(e)}`));
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
   * one transaction per batch: DuckDB reads many files at once far faster
   * than one by one. Files without a usable header go alone; JSON files apart.
   * Only a file's name and size are kept until it is loaded.
   */
  private async groupTsv(files: string[]): Promise<{ groups: TsvGroup[]; alone: string[]; json: string[] }> {
    const groups = new Map<string, TsvGroup>();
    const alone: string[] = [];
    const json: string[] = [];
    for (const file of files) {
      let peek;
      try {
        peek = await peekLogFile(file);
      } catch (e) {
        this.problems.push(fileProblem(file, `cannot read: ${systemReason(e)}`));
        continue;
      }
      if (peek.format === 'json') {
        json.push(file);
        continue;
      }
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
      const group = groups.get(signature) ?? { section: sections[0], signature, files: [], bytes: 0, next: 0 };
      const bytes = statSync(peek.file).size * (peek.gzip ? 10 : 1);
      group.files.push({ file: peek.file, bytes });
      group.bytes += bytes;
      groups.set(signature, group);
    }
    return { groups: [...groups.values()], alone, json };
  }

  /** Creates or extends the table of a log; false (the file named) when it cannot have one. */
  private async ensureTable(schema: LogSchema, file: string, line?: number): Promise<boolean> {
    try {
      await this.tables.ensure(schema);
      return true;
    } catch (e) {
      this.problems.push(fileProblem(file, (e as Error).message, { line }));
      return false;
    }
  }

  /** Loads one big TSV log where it is, in one scan on `db`; false when it needs to go alone. */
  private async ingestDirect(db: Database, section: TsvSection, log: ScannedLog): Promise<boolean> {
    const locate: Locate = (_path, line, byte) => ({ file: log.file, line, byte: log.gzip ? undefined : byte });
    return this.ingestBatch(db, section, [log.file], log.gzip, locate, [log]);
  }

  /**
   * Loads small logs copied into one file in one scan on `db`. If DuckDB
   * cannot read the copy whole (a value its conversion refuses), bad lines are
   * named and left out of a second copy; false when even that fails.
   */
  private async ingestCombined(db: Database, section: TsvSection, combined: CombinedTsv, logs: ScannedLog[]): Promise<boolean> {
    const locate: Locate = (_path, line, byte) => combined.locate(line, byte);
    if (await this.ingestBatch(db, section, [combined.path], false, locate, logs)) return true;
    const check = tsvLineCheck(section.header, section.schema);
    const copy = await copyLineRanges(combined.path, [{ from: 1, to: Number.MAX_SAFE_INTEGER, check }],
      await mkdtemp(join(this.tmp, 'clean-')));
    const cleaned = new Map<string, number>();
    const problems = new LineReports(this.problems);
    for (const bad of copy.problems) {
      const at = combined.locate(bad.line, 0);
      cleaned.set(at.file, (cleaned.get(at.file) ?? 0) + 1);
      problems.add(fileProblem(at.file, bad.message, { line: at.line, field: bad.field }));
    }
    try {
      if (await this.ingestBatch(db, section, copy.files, false, locate, logs, cleaned)) {
        problems.finish();
        return true;
      }
      return false;
    } finally {
      await rm(copy.files[0], { force: true });
    }
  }

  /** One scan of `readPaths` holding the data lines of `logs`, and the record of those files, in one transaction. */
  private async ingestBatch(db: Database, section: TsvSection, readPaths: string[], gzip: boolean, locate: Locate,
    logs: ScannedLog[], cleaned = new Map<string, number>()): Promise<boolean> {
    const logPath = section.schema.path;
    const problems: IngestProblem[] = [];
    const done = (rows: number) => {
      for (const log of logs) if (log.cut) this.problems.push(cutProblem(log));
      this.problems.push(...problems);
      this.rowsByLog[logPath] = (this.rowsByLog[logPath] ?? 0) + rows;
      return true;
    };
    // Quietly first: when every line is read, no rejects are needed; with many bad lines, our own checks name them.
    const expected = logs.reduce((n, log) => n + dataLines(log) - (cleaned.get(log.file) ?? 0), 0);
    try {
      return done(await db.transaction(async () => {
        const { rows } = await this.insertTsv(db, section, readPaths, gzip, locate, problems, true);
        if (rows !== expected) throw new BadLines(expected - rows);
        await this.tables.recordFiles(logs.map(log => ({ sha256: log.sha256, file: log.file, logPath, format: log.format,
          bytes: log.bytes, lines: log.lines, rows: dataLines(log) - (cleaned.get(log.file) ?? 0),
          errors: (cleaned.get(log.file) ?? 0) + (log.cut ? 1 : 0) })), db);
        return rows;
      }));
    } catch (e) {
      if (!(e instanceof BadLines) || e.count > MAX_REJECTED_LINES) return false;
    }
    try {
      const rows = await db.transaction(async () => {
        const result = await this.insertTsv(db, section, readPaths, gzip, locate, problems);
        const bad = (log: ScannedLog) => (result.rejected.get(log.file) ?? 0) + (cleaned.get(log.file) ?? 0);
        const perFile = logs.map(log => dataLines(log) - bad(log));
        const total = perFile.reduce((a, b) => a + b, 0);
        if (total !== result.rows) throw new Error(`rows counted ${total}, inserted ${result.rows}`);
        await this.tables.recordFiles(logs.map((log, i) => ({ sha256: log.sha256, file: log.file, logPath,
          format: log.format, bytes: log.bytes, lines: log.lines, rows: perFile[i], errors: bad(log) + (log.cut ? 1 : 0) })), db);
        return result.rows;
      });
      return done(rows);
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
      for (const [path, n] of Object.entries(rows)) this.rowsByLog[path] = (this.rowsByLog[path] ?? 0) + n;
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
  private async load(log: ScannedLog, logPath: string, pieces: Piece[]): Promise<Record<string, number> | undefined> {
    const attempt = (ps: Piece[], problems: IngestProblem[]) => this.db.transaction(async () => {
      let rows = 0;
      const byLog: Record<string, number> = {};
      for (const p of ps) {
        const n = await p.insert(p, problems);
        byLog[p.logPath] = (byLog[p.logPath] ?? 0) + n;
        rows += n;
      }
      const errors = problems.filter(p => p.severity === 'error').length + (log.truncated ? 1 : 0) + (log.cut ? 1 : 0);
      await this.tables.recordFiles([{
        sha256: log.sha256, file: log.file, logPath, format: log.format, bytes: log.bytes, lines: log.lines, rows, errors,
      }]);
      return byLog;
    });
    // Quietly first where the data lines are known: all read, no rejects needed; many bad, our checks name them.
    let checkFirst = false;
    if (pieces.every(p => p.dataLines !== undefined)) {
      const expected = pieces.reduce((n, p) => n + p.dataLines!, 0);
      try {
        return await this.db.transaction(async () => {
          const byLog: Record<string, number> = {};
          let rows = 0;
          for (const p of pieces) {
            const n = await p.insert(p, [], true);
            byLog[p.logPath] = (byLog[p.logPath] ?? 0) + n;
            rows += n;
          }
          if (rows !== expected) throw new BadLines(expected - rows);
          await this.tables.recordFiles([{ sha256: log.sha256, file: log.file, logPath, format: log.format, bytes: log.bytes,
            lines: log.lines, rows, errors: (log.truncated ? 1 : 0) + (log.cut ? 1 : 0) }]);
          return byLog;
        });
      } catch (e) {
        checkFirst = e instanceof BadLines && e.count > MAX_REJECTED_LINES;
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
      const reports = new LineReports(problems);
      const cleaned: Piece[] = [];
      for (const p of pieces) {
        const copy = await copyLineRanges(p.readPath, [{ from: 1, to: Number.MAX_SAFE_INTEGER, check: p.check }],
          await mkdtemp(join(this.tmp, 'clean-')));
        for (const bad of copy.problems) {
          reports.add(fileProblem(log.file, bad.message, { line: bad.line + p.lineOffset, field: bad.field }));
        }
        cleaned.push({ ...p, readPath: copy.files[0], gzip: false });
      }
      reports.finish();
      try {
        const rows = await attempt(cleaned, problems);
        this.problems.push(...problems);
        return rows;
      } catch (second) {
        this.problems.push(...problems);
        const reason = ((problems.length ? second : first) as Error).message.split('\n')[0].slice(0, 300);
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
      readPath, gzip, lineOffset, logPath,
      check: tsvLineCheck(section.header, section.schema),
      insert: async (p, problems, quiet) => {
        const locate: Locate = (_path, line, byte) =>
          ({ file: log.file, line: line + p.lineOffset, byte: p.lineOffset === 0 && !p.gzip ? byte : undefined });
        return (await this.insertTsv(this.db, section, [p.readPath], p.gzip, locate, problems, quiet)).rows;
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
    for (const run of runs) {
      if (!await this.ensureTable(run[0].schema, log.file, run[0].typesLine)) return undefined;
      this.tsvSchemas.set(logPath, run[0].schema);
    }
    if (log.cut) this.problems.push(cutProblem(log));
    const wide = tooWide(log, sections);
    if (runs.length === 1 && !log.truncated && !log.cut && !wide) {
      const whole = pieceOf(sections[0], log.file, log.gzip, 0);
      whole.dataLines = dataLines(log);
      return { logPath, pieces: [whole] };
    }
    // Sections with different fields, a broken gzip, a cut last line or lines too wide for DuckDB's rejects (checked
    // here instead): copy each run of alike sections out.
    const lastLine = log.truncated ? log.truncated.line - 1 : log.cut ? log.cut.line - 1 : log.lines;
    const ranges: LineRange[] = runs.map((run, i) => ({
      from: run[0].headerStart,
      to: i + 1 < runs.length ? runs[i + 1][0].headerStart - 1 : lastLine,
      check: wide ? tsvLineCheck(run[0].header, run[0].schema) : undefined,
    }));
    const { files, problems } = await copyLineRanges(log.file, ranges, await mkdtemp(join(this.tmp, 'sections-')));
    const reports = new LineReports(this.problems);
    for (const bad of problems) reports.add(fileProblem(log.file, bad.message, { line: bad.line, field: bad.field }));
    reports.finish();
    return { logPath, pieces: runs.map((run, i) => pieceOf(run[0], files[i], false, ranges[i].from - 1)) };
  }

  /**
   * Inserts TSV files sharing a header; names the lines DuckDB rejected and
   * counts them per file (header lines are rejected too: that is how we pass over them).
   * The rejects are read a chunk at a time, and only the first lines of a file are named.
   */
  private async insertTsv(db: Database, section: TsvSection, readPaths: string[], gzip: boolean, locate: Locate,
    problems: IngestProblem[], quiet = false): Promise<{ rows: number; rejected: Map<string, number> }> {
    const { header, schema } = section;
    const tableSchema = this.tables.schemaOf(schema.path)!;
    await db.run(`DROP TABLE IF EXISTS temp.${REJECTS_TABLE}`);
    await db.run(`DROP TABLE IF EXISTS temp.${REJECTS_SCAN}`);
    const source = readTsvSql(readPaths, header, schema, gzip, quiet);
    const result = await db.query(insertTsvSql(this.tables.tableOf(schema.path), tableSchema, header, schema, source));
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

  /** A piece per `_path` the records carry: each record goes to its own log's table. */
  private async jsonPieces(log: ScannedLog): Promise<{ logPath: string; pieces: Piece[] } | undefined> {
    const shapes = (await jsonLogShapes(this.db, log.file, log.gzip, logPathFromFileName(log.file))).filter(s => s.keys.length > 0);
    if (shapes.length === 0) {
      this.problems.push(fileProblem(log.file, log.bytes === 0 ? 'empty file' : 'no JSON records found', { line: 1 }));
      return undefined;
    }
    let readPath = log.file;
    let gzip = log.gzip;
    if (log.truncated) {
      const copy = await copyLineRanges(log.file, [{ from: 1, to: log.truncated.line - 1 }], await mkdtemp(join(this.tmp, 'json-')));
      readPath = copy.files[0];
      gzip = false;
    }
    const pieces: Piece[] = [];
    for (const shape of shapes) {
      const { schema, guessed } = jsonLogSchema(shape, this.tables.schemaOf(shape.path) ?? this.tsvSchemas.get(shape.path));
      if (guessed.length) {
        this.problems.push(fileProblem(log.file, `log '${shownValue(shape.path)}' has no known Zeek types for ` +
          `${guessed.map(g => shownValue(g)).join(', ')}: guessed from the JSON values`, { severity: 'warning' }));
      }
      if (!await this.ensureTable(schema, log.file)) continue;
      const only = shapes.length > 1 ? shape.recordPath : undefined;
      pieces.push({
        readPath, gzip, lineOffset: 0, logPath: schema.path,
        check: jsonLineCheck(schema, only),
        insert: async p => {
          const table = this.tables.schemaOf(schema.path)!;
          const sql = insertJsonSql(this.tables.tableOf(schema.path), table, schema, readJsonSql([p.readPath], schema, p.gzip, only));
          return (await this.db.query(sql)).rowsChanged;
        },
      });
    }
    if (pieces.length === 0) return undefined;
    return { logPath: pieces[0].logPath, pieces };
  }

}


function fileProblem(file: string, message: string, extra: Partial<IngestProblem> = {}): IngestProblem {
  return { file, message, severity: 'error', ...extra };
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
    default:
      return message.split('\n')[0];
  }
}

/** Whether a line has more fields than any header of the file: DuckDB must not see it (WIDE_LINE_BYTES). */
function tooWide(log: ScannedLog, sections: TsvSection[]): boolean {
  return log.wideFields > Math.max(...sections.map(s => s.header.fields.length));
}

/** Lines in a log that should be rows: not headers, not empty, not cut. */
function dataLines(log: ScannedLog): number {
  return log.lines - log.headerLines.length - log.blankLines - (log.cut ? 1 : 0);
}

function cutProblem(log: ScannedLog): IngestProblem {
  return fileProblem(log.file, 'last line is cut (no newline at its end): not stored',
    { line: log.cut!.line, byte: log.gzip ? undefined : log.cut!.byte });
}

/** Bad lines of files: each counted, the first NAMED_LINES of a file named, a line for the rest. */
class LineReports {
  readonly counts = new Map<string, number>();

  constructor(private problems: IngestProblem[]) {}

  add(problem: IngestProblem): void {
    const n = (this.counts.get(problem.file) ?? 0) + 1;
    this.counts.set(problem.file, n);
    if (n <= NAMED_LINES) this.problems.push(problem);
  }

  finish(): void {
    for (const [file, n] of this.counts) {
      if (n > NAMED_LINES) this.problems.push(fileProblem(file, `${n - NAMED_LINES} more bad lines not named (${n} in all)`));
    }
  }
}
