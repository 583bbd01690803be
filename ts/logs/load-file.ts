// One log file loaded on its own, in one transaction: quietly first, then with every bad line named and left out.
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestProblem, LineReports, fileProblem } from './ingest-problem';
import { IngestRun } from './ingest-run';
import { copyLineRanges } from './line-check';
import { ScannedLog } from './log-file-scan';
import { Piece, jsonPieces, tsvPieces } from './log-pieces';
import { LogFormatError } from './tsv-header';
import { BadLines, MAX_REJECTED_LINES } from './tsv-insert';

export async function ingestFile(run: IngestRun, log: ScannedLog): Promise<boolean> {
  if (log.truncated) {
    run.problems.push(fileProblem(log.file, `${log.truncated.message} at compressed byte ` +
      `${log.truncated.compressedOffset}; the lines before it are ingested`, { line: log.truncated.line }));
  }
  try {
    const planned = log.format === 'tsv' ? await tsvPieces(run, log) : await jsonPieces(run, log);
    if (!planned) return false;
    const rows = await load(run, log, planned.logPath, planned.pieces);
    if (rows === undefined) return false;
    for (const [path, n] of Object.entries(rows)) run.rowsByLog[path] = (run.rowsByLog[path] ?? 0) + n;
    return true;
  } catch (e) {
    // Whatever stops one file is its problem: the other files are still ingested.
    if (!(e instanceof LogFormatError)) run.problems.push(fileProblem(log.file, `cannot be read: ${(e as Error).message.split('\n')[0]}`));
    else run.problems.push(fileProblem(log.file, e.reason, { line: e.line }));
    return false;
  }
}

/**
 * Loads a file's pieces and records the file, all in one transaction. If
 * DuckDB cannot read a piece whole, every piece is checked line by line,
 * bad lines are named and blanked (so line numbers stay), and it tries once more.
 */
export async function load(run: IngestRun, log: ScannedLog, logPath: string, pieces: Piece[]): Promise<Record<string, number> | undefined> {
  const attempt = (ps: Piece[], problems: IngestProblem[]) => run.db.transaction(async () => {
    let rows = 0;
    const byLog: Record<string, number> = {};
    for (const p of ps) {
      const n = await p.insert(p, problems);
      byLog[p.logPath] = (byLog[p.logPath] ?? 0) + n;
      rows += n;
    }
    const errors = problems.filter(p => p.severity === 'error').length + (log.truncated ? 1 : 0) + (log.cut ? 1 : 0);
    await run.tables.recordFiles([{
      sha256: log.sha256, file: log.file, logPath, format: log.format, bytes: log.bytes, lines: log.lines, rows, errors,
    }]);
    return byLog;
  });
  // Quietly first where the data lines are known: all read, no rejects needed; many bad, our checks name them.
  let checkFirst = false;
  if (pieces.every(p => p.dataLines !== undefined)) {
    const expected = pieces.reduce((n, p) => n + p.dataLines!, 0);
    try {
      return await run.db.transaction(async () => {
        const byLog: Record<string, number> = {};
        let rows = 0;
        for (const p of pieces) {
          const n = await p.insert(p, [], true);
          byLog[p.logPath] = (byLog[p.logPath] ?? 0) + n;
          rows += n;
        }
        if (rows !== expected) throw new BadLines(expected - rows);
        await run.tables.recordFiles([{ sha256: log.sha256, file: log.file, logPath, format: log.format, bytes: log.bytes,
          lines: log.lines, rows, errors: (log.truncated ? 1 : 0) + (log.cut ? 1 : 0) }]);
        return byLog;
      });
    } catch (e) {
      // DuckDB's rejects take header lines too (read in place, they are bad lines to it): many of either, our checks.
      checkFirst = e instanceof BadLines && e.count + log.headerLines.length > MAX_REJECTED_LINES;
    }
  }
  const firstProblems: IngestProblem[] = [];
  try {
    if (checkFirst) throw new Error('too many bad lines for DuckDB\'s rejects');
    const rows = await attempt(pieces, firstProblems);
    run.problems.push(...firstProblems);
    return rows;
  } catch (first) {
    const problems: IngestProblem[] = [];
    const reports = new LineReports(problems);
    const cleaned: Piece[] = [];
    for (const p of pieces) {
      const copy = await copyLineRanges(p.readPath, [{ from: 1, to: Number.MAX_SAFE_INTEGER, check: p.check, blankHeaders: true }],
        await mkdtemp(join(run.tmp, 'clean-')));
      for (const bad of copy.problems) {
        reports.add(fileProblem(log.file, bad.message, { line: bad.line + p.lineOffset, field: bad.field }));
      }
      cleaned.push({ ...p, readPath: copy.files[0], gzip: false });
    }
    reports.finish();
    try {
      const rows = await attempt(cleaned, problems);
      run.problems.push(...problems);
      return rows;
    } catch (second) {
      run.problems.push(...problems);
      const reason = ((problems.length ? second : first) as Error).message.split('\n')[0].slice(0, 300);
      run.problems.push(fileProblem(log.file, `cannot be read: ${reason}`));
      return undefined;
    }
  }
}
