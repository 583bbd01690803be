// A problem of an ingested file (where in it, what is wrong), as ingest prints it; bad lines counted per file.
import { ScannedLog } from './log-file-scan';

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

/** Bad lines named per file; the rest are counted. */
const NAMED_LINES = 100;

export function fileProblem(file: string, message: string, extra: Partial<IngestProblem> = {}): IngestProblem {
  return { file, message, severity: 'error', ...extra };
}

export function cutProblem(log: Pick<ScannedLog, 'file' | 'gzip' | 'cut'>): IngestProblem {
  return fileProblem(log.file, 'last line is cut (no newline at its end): not stored',
    { line: log.cut!.line, byte: log.gzip ? undefined : log.cut!.byte });
}

/** Bad lines of files: each counted, the first NAMED_LINES of a file named, a line for the rest. */
export class LineReports {
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
