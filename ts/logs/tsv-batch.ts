// TSV logs of one header loaded in one scan and one transaction: a big one where it is, small ones copied together.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Database } from '../duckdb/database';
import { CombinedTsv } from './combined-tsv';
import { IngestProblem, LineReports, cutProblem, fileProblem } from './ingest-problem';
import { IngestRun } from './ingest-run';
import { ScannedLog } from './log-file-scan';
import { copyLineRanges, tsvLineCheck } from './line-check';
import { BatchedLog, batched } from './tsv-groups';
import { TsvSection } from './tsv-header';
import { BadLines, Locate, MAX_REJECTED_LINES, insertTsv } from './tsv-insert';

/** Loads big TSV logs (all gzipped or none) where they are, in one scan on `db`; false when they need to go alone. */
export async function ingestDirect(run: IngestRun, db: Database, section: TsvSection, logs: ScannedLog[]): Promise<boolean> {
  const gzip = logs[0].gzip;
  const locate: Locate = (path, line, byte) => ({ file: path, line, byte: gzip ? undefined : byte });
  // Read in place, their header lines are lines DuckDB rejects too.
  const headerLines = logs.reduce((n, log) => n + log.headerLines.length, 0);
  return ingestBatch(run, db, section, logs.map(log => log.file), gzip, locate, logs.map(batched), headerLines);
}

/**
 * Loads small logs copied into one file in one scan on `db`. If DuckDB
 * cannot read the copy whole (a value its conversion refuses), bad lines are
 * named and left out of a second copy; false when even that fails.
 */
export async function ingestCombined(run: IngestRun, db: Database, section: TsvSection, combined: CombinedTsv, logs: BatchedLog[]): Promise<boolean> {
  const locate: Locate = (_path, line, byte) => combined.locate(line, byte);
  if (await ingestBatch(run, db, section, [combined.path], false, locate, logs, 0)) return true;
  const check = tsvLineCheck(section.header, section.schema);
  const copy = await copyLineRanges(combined.path, [{ from: 1, to: Number.MAX_SAFE_INTEGER, check }],
    await mkdtemp(join(run.tmp, 'clean-')));
  const cleaned = new Map<string, number>();
  const problems = new LineReports(run.problems);
  for (const bad of copy.problems) {
    const at = combined.locate(bad.line, 0);
    cleaned.set(at.file, (cleaned.get(at.file) ?? 0) + 1);
    problems.add(fileProblem(at.file, bad.message, { line: at.line, field: bad.field }));
  }
  try {
    if (await ingestBatch(run, db, section, copy.files, false, locate, logs, 0, cleaned)) {
      problems.finish();
      return true;
    }
    return false;
  } finally {
    await rm(copy.files[0], { force: true });
  }
}

/**
 * One scan of `readPaths` holding the data lines of `logs` (and `headerLines` header lines), and the record of those
 * files, in one transaction.
 */
async function ingestBatch(run: IngestRun, db: Database, section: TsvSection, readPaths: string[], gzip: boolean, locate: Locate,
  logs: BatchedLog[], headerLines: number, cleaned = new Map<string, number>()): Promise<boolean> {
  const logPath = section.schema.path;
  const problems: IngestProblem[] = [];
  const done = (rows: number) => {
    for (const log of logs) if (log.cut) run.problems.push(cutProblem(log));
    run.problems.push(...problems);
    run.rowsByLog[logPath] = (run.rowsByLog[logPath] ?? 0) + rows;
    return true;
  };
  // Quietly first: when every line is read, no rejects are needed; with many bad lines, our own checks name them.
  const expected = logs.reduce((n, log) => n + log.dataLines - (cleaned.get(log.file) ?? 0), 0);
  try {
    return done(await db.transaction(async () => {
      const { rows } = await insertTsv(run, db, section, readPaths, gzip, locate, problems, true);
      if (rows !== expected) throw new BadLines(expected - rows);
      await run.tables.recordFiles(logs.map(log => ({ sha256: log.sha256, file: log.file, logPath, format: log.format,
        bytes: log.bytes, lines: log.lines, rows: log.dataLines - (cleaned.get(log.file) ?? 0),
        errors: (cleaned.get(log.file) ?? 0) + (log.cut ? 1 : 0) })), db);
      return rows;
    }));
  } catch (e) {
    if (!(e instanceof BadLines) || e.count + headerLines > MAX_REJECTED_LINES) return false;
  }
  try {
    const rows = await db.transaction(async () => {
      const result = await insertTsv(run, db, section, readPaths, gzip, locate, problems);
      const bad = (log: BatchedLog) => (result.rejected.get(log.file) ?? 0) + (cleaned.get(log.file) ?? 0);
      const perFile = logs.map(log => log.dataLines - bad(log));
      const total = perFile.reduce((a, b) => a + b, 0);
      if (total !== result.rows) throw new Error(`rows counted ${total}, inserted ${result.rows}`);
      await run.tables.recordFiles(logs.map((log, i) => ({ sha256: log.sha256, file: log.file, logPath,
        format: log.format, bytes: log.bytes, lines: log.lines, rows: perFile[i], errors: bad(log) + (log.cut ? 1 : 0) })), db);
      return result.rows;
    });
    return done(rows);
  } catch {
    return false;
  }
}
