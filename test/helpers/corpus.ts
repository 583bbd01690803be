import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's top directory (tests run from dist/test/...). */
export const REPO = resolve(__dirname, '..', '..', '..');

/** The shared corpus beside the repository (../shared/corpus), as CI provides it. */
export const CORPUS = process.env.ZEEK_ARROW_CORPUS ?? resolve(REPO, '..', 'shared', 'corpus');

export function corpusPath(...parts: string[]): string {
  const path = join(CORPUS, ...parts);
  if (!existsSync(path)) throw new Error(`corpus file missing: ${path} (tests expect ../shared/corpus beside the repository)`);
  return path;
}

/** The traces under zeek-logs/tsv, each a directory of the logs Zeek wrote for it. */
export function traceLogDirs(format: 'tsv' | 'json'): string[] {
  const root = corpusPath('zeek-logs', format);
  return readdirSync(root).sort().map(name => join(root, name));
}

/** A Zeek TSV log's data lines, each a record of its fields by name (values as written: '-' unset). */
export function tsvRecords(file: string): Record<string, string>[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter(l => l);
  const fields = lines.find(l => l.startsWith('#fields'))!.split('\t').slice(1);
  return lines.filter(l => !l.startsWith('#')).map(l => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])));
}
