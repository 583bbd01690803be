// The log files under ingest's inputs, and a log's path from its file name.
import { basename } from 'node:path';
import { systemReason } from '../common/system-error';
import { walkFiles } from '../common/walk-files';
import { IngestProblem } from './ingest-problem';

const LOG_NAME = /\.(log|json)(\.gz)?$/;

/** Log files under the inputs: files as given, directories searched for *.log[.gz] and *.json[.gz]. */
export async function listLogFiles(inputs: string[], problems: IngestProblem[]): Promise<string[]> {
  return walkFiles(inputs, {
    wanted: name => LOG_NAME.test(name),
    followLinks: true,
    unreadable: (file, doing, e) => { problems.push({ file, message: `cannot ${doing}: ${systemReason(e)}`, severity: 'error' }); },
  });
}

/** A log's path from its file name: `conn.log`, `conn.2024-01-01-00-00-00.log.gz` → `conn`. */
export function logPathFromFileName(file: string): string {
  return basename(file).split('.')[0];
}
