// Peeking at TSV logs and grouping those that start with the same header, to be read in batches.
import { statSync } from 'node:fs';
import { systemReason } from '../common/system-error';
import { fileProblem } from './ingest-problem';
import { IngestRun } from './ingest-run';
import { ScannedLog, peekLogFile } from './log-file-scan';
import { logPathFromFileName } from './log-files';
import { TsvSection, parseSections, sectionSignature } from './tsv-header';

/** TSV files that start with the same header. */
export interface TsvGroup {
  section: TsvSection;
  signature: string;
  files: { file: string; bytes: number }[];
  bytes: number;
  /** The next file a loader takes. */
  next: number;
}

/** Whether every section of the file has this signature. */
export function soleSignature(log: ScannedLog, signature: string): boolean {
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
export async function groupTsv(run: IngestRun, files: string[]): Promise<{ groups: TsvGroup[]; alone: string[]; json: string[] }> {
  const groups = new Map<string, TsvGroup>();
  const alone: string[] = [];
  const json: string[] = [];
  for (const file of files) {
    let peek;
    try {
      peek = await peekLogFile(file);
    } catch (e) {
      run.problems.push(fileProblem(file, `cannot read: ${systemReason(e)}`));
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

/** Whether a line has more fields than any header of the file: DuckDB must not see it (WIDE_LINE_BYTES). */
export function tooWide(log: ScannedLog, sections: TsvSection[]): boolean {
  return log.wideFields > Math.max(...sections.map(s => s.header.fields.length));
}

/** Lines in a log that should be rows: not headers, not empty, not cut. */
export function dataLines(log: ScannedLog): number {
  return log.lines - log.headerLines.length - log.blankLines - (log.cut ? 1 : 0);
}

/** What a batch keeps of a log until it is loaded: not its header lines (a few KB a file, thousands of files a batch). */
export type BatchedLog = Pick<ScannedLog, 'file' | 'sha256' | 'format' | 'gzip' | 'bytes' | 'lines' | 'cut'> & { dataLines: number };

export function batched(log: ScannedLog): BatchedLog {
  const { file, sha256, format, gzip, bytes, lines, cut } = log;
  return { file, sha256, format, gzip, bytes, lines, cut, dataLines: dataLines(log) };
}
