import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new temp directory: remove it after the test or suite (removeDir), or make it with suiteTempDirs. */
export function tempDir(prefix = 'zeek-arrow-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * In a describe body: a maker of temp directories for its hooks and tests, each removed after the suite
 * (or, with 'afterEach', after the test that made it: for suites of many tests that each write much).
 */
export function suiteTempDirs(when: 'after' | 'afterEach' = 'after'): () => string {
  const dirs: string[] = [];
  (when === 'after' ? after : afterEach)(() => { for (const dir of dirs.splice(0)) removeDir(dir); });
  return () => {
    const dir = tempDir();
    dirs.push(dir);
    return dir;
  };
}

const HEADER = (path: string, fields: string[], types: string[]) => [
  '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-',
  `#path\t${path}`, '#open\t2026-11-23-12-00-00', `#fields\t${fields.join('\t')}`, `#types\t${types.join('\t')}`,
];

/** A small Zeek TSV log of a `demo` stream: ts, uid, id.orig_h, n (count), tags (set[string]). */
export function demoLog(rows: string[][], path = 'demo'): string {
  return [
    ...HEADER(path, ['ts', 'uid', 'id.orig_h', 'n', 'tags'], ['time', 'string', 'addr', 'count', 'set[string]']),
    ...rows.map(r => r.join('\t')),
    '#close\t2026-11-23-12-00-01',
  ].join('\n') + '\n';
}

export function demoRows(count: number, start = 0, uidPrefix = 'C'): string[][] {
  return Array.from({ length: count }, (_, i) => [
    `${1700000000 + start + i}.000001`, `${uidPrefix}${start + i}`, `10.0.0.${(start + i) % 250}`, String(start + i), i % 2 ? 'a,b' : '(empty)',
  ]);
}
