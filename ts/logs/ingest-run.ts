// What one ingest run shares: its connection and tables, scratch directory, the files it saw, what it found.
import { systemReason } from '../common/system-error';
import { Database } from '../duckdb/database';
import { LogTables } from '../duckdb/log-tables';
import { LogSchema } from '../schema/log-schema';
import { IngestProblem, fileProblem } from './ingest-problem';
import { ScannedLog, scanLogFile } from './log-file-scan';

export interface IngestRun {
  db: Database;
  tables: LogTables;
  /** Scratch directory of the run (copies of lines, combined small logs). */
  tmp: string;
  problems: IngestProblem[];
  rowsByLog: Record<string, number>;
  /** The schema of each TSV log's path, for JSON logs of the same path. */
  tsvSchemas: Map<string, LogSchema>;
  /** Content hashes of the files in the database or ahead in this run. */
  known: Set<string>;
  skipped: number;
}

/** Scans a file; undefined when it cannot be read or its content is already in (or ahead in) the database. */
export async function scanNew(run: IngestRun, file: string): Promise<ScannedLog | undefined> {
  try {
    const log = await scanLogFile(file);
    if (run.known.has(log.sha256)) {
      run.skipped++;
      return undefined;
    }
    run.known.add(log.sha256);
    return log;
  } catch (e) {
    run.problems.push(fileProblem(file, `cannot read: ${systemReason(e)}`));
    return undefined;
  }
}

/** Creates or extends the table of a log; false (the file named) when it cannot have one. */
export async function ensureTable(run: IngestRun, schema: LogSchema, file: string, line?: number): Promise<boolean> {
  try {
    await run.tables.ensure(schema);
    return true;
  } catch (e) {
    run.problems.push(fileProblem(file, (e as Error).message, { line }));
    return false;
  }
}
