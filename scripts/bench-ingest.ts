// Ingest benchmark: `zeek-arrow ingest` next to DuckDB's own read_csv over the
// same Zeek TSV files, in one run. The files replicate the corpus logs (every
// log path, ts shifted and uids renamed per copy) until conn has >= 1 M rows.
//
//   node dist/scripts/bench-ingest.js [--conn-rows N] [--dir D] [--runs R]
//
// With --files N..., it measures archives of many small conn logs instead
// (uids differ per file, so none is a duplicate), printing rows/s and peak RSS
// (/usr/bin/time) of both sides: the same --equal-rows (620,000) split into N
// files, and N hourly logs of 62 rows each.
//
//   node dist/scripts/bench-ingest.js --files 10 1000 10000 50000 --runs 1
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { median } from './bench-util';

const REPO = resolve(__dirname, '..', '..');
const CORPUS_LOGS = resolve(REPO, '..', 'shared', 'corpus', 'zeek-logs', 'tsv');
const ROWS_PER_FILE = 125_000;

interface LogSet { header: string[]; fields: string[]; types: string[]; rows: string[] }

/** Every data line of the corpus, by log path, under the first header seen for it. */
function corpusLogs(): Map<string, LogSet> {
  const logs = new Map<string, LogSet>();
  for (const trace of readdirSync(CORPUS_LOGS).sort()) {
    for (const name of readdirSync(join(CORPUS_LOGS, trace)).filter(n => n.endsWith('.log')).sort()) {
      const lines = readFileSync(join(CORPUS_LOGS, trace, name), 'utf8').split('\n').filter(l => l);
      const path = lines.find(l => l.startsWith('#path\t'))!.slice(6);
      const fields = lines.find(l => l.startsWith('#fields\t'))!;
      const types = lines.find(l => l.startsWith('#types\t'))!;
      const set = logs.get(path) ?? { header: lines.filter(l => l.startsWith('#') && !l.startsWith('#close')), fields: fields.split('\t').slice(1), types: types.split('\t').slice(1), rows: [] };
      if (set.fields.join('\t') !== fields.slice(8)) continue; // another script set's fields
      set.rows.push(...lines.filter(l => !l.startsWith('#')));
      logs.set(path, set);
    }
  }
  return logs;
}

/** Writes the replicated set (of some log paths, if given); returns rows per log path. */
function buildSet(dir: string, connRows: number, only?: string[]): Record<string, number> {
  const logs = corpusLogs();
  for (const path of [...logs.keys()]) if (only && !only.includes(path)) logs.delete(path);
  const copies = Math.ceil(connRows / logs.get('conn')!.rows.length);
  const counts: Record<string, number> = {};
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [path, set] of logs) {
    const tsAt = set.fields.indexOf('ts');
    const uidAt = set.fields.indexOf('uid');
    let file = 0;
    let out: string[] = [];
    const flush = () => {
      writeFileSync(join(dir, `${path}.${String(file++).padStart(4, '0')}.log`),
        [...set.header, ...out, '#close\t2026-11-23-00-00-00'].join('\n') + '\n');
      out = [];
    };
    for (let copy = 0; copy < copies; copy++) {
      for (const row of set.rows) {
        const values = row.split('\t');
        if (tsAt >= 0 && values[tsAt] !== '-') {
          const [sec, frac] = values[tsAt].split('.');
          values[tsAt] = `${Number(sec) + copy * 86400}.${frac}`;
        }
        if (uidAt >= 0 && values[uidAt] !== '-') values[uidAt] += copy.toString(36);
        out.push(values.join('\t'));
        if (out.length === ROWS_PER_FILE) flush();
      }
    }
    if (out.length) flush();
    counts[path] = copies * set.rows.length;
  }
  return counts;
}

/** DuckDB's own reader with the schema given: flat typed columns, header lines skipped as errors. */
function peerScript(dir: string, db: string, keepOrder: boolean, only?: string[]): string {
  const logs = corpusLogs();
  for (const path of [...logs.keys()]) if (only && !only.includes(path)) logs.delete(path);
  const flat: Record<string, string> = {
    time: 'DOUBLE', interval: 'DOUBLE', count: 'UBIGINT', int: 'BIGINT', double: 'DOUBLE', port: 'USMALLINT', bool: 'BOOLEAN',
  };
  const statements = [...logs].map(([path, set]) => {
    const columns = set.fields.map((f, i) => `'${f}': '${flat[set.types[i]] ?? 'VARCHAR'}'`).join(', ');
    return `CREATE TABLE "${path}" AS SELECT * FROM read_csv('${dir}/${path}.*.log', delim='\\t', header=false, quote='', escape='',
      auto_detect=false, new_line='\\n', nullstr='-', columns={${columns}}, ignore_errors=true)`;
  });
  return `const { DuckDBInstance } = require(${JSON.stringify(join(REPO, 'node_modules', '@duckdb', 'node-api'))});
    (async () => { const db = await DuckDBInstance.create(${JSON.stringify(db)}); const c = await db.connect();
      await c.run('SET preserve_insertion_order = ${keepOrder}');
      for (const s of ${JSON.stringify(statements)}) await c.run(s); c.closeSync(); db.closeSync(); })();`;
}

/** One run of a command: wall seconds printed with its CPU seconds (load-independent, roughly) and peak RSS. */
function timed(label: string, command: string[], cpu: number[], peak: number[]): number {
  const { seconds, cpuSeconds, peakMb } = measured(command);
  cpu.push(cpuSeconds);
  peak.push(peakMb);
  process.stdout.write(`  ${label.padEnd(32)} ${seconds.toFixed(2)} s, CPU ${cpuSeconds.toFixed(2)} s, peak ${peakMb.toFixed(0)} MB\n`);
  return seconds;
}

/**
 * N small conn logs holding `rows` rows in all (as even as they split): the first 62 rows of the corpus's biggest
 * conn.log over and over, uids suffixed with the file number (no file is a duplicate of another).
 */
function buildManyFiles(dir: string, files: number, rows: number): void {
  const lines = readFileSync(join(CORPUS_LOGS, 'llc.pcap', 'conn.log'), 'utf8').split('\n').filter(l => l);
  const header = lines.filter(l => l.startsWith('#') && !l.startsWith('#close')).join('\n') + '\n';
  const base = lines.filter(l => !l.startsWith('#')).slice(0, 62).map(l => l.split('\t'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    const n = Math.floor(rows * (f + 1) / files) - Math.floor(rows * f / files);
    const suffix = f.toString(36);
    const data: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = base[i % base.length];
      data.push(`${r[0]}\t${r[1]}${suffix}\t${r.slice(2).join('\t')}\n`);
    }
    writeFileSync(join(dir, `conn.${String(f).padStart(6, '0')}.log`), header + data.join('') + '#close\t2026-11-23-00-00-00\n');
  }
}

/** Runs a command under /usr/bin/time: seconds, CPU seconds (user + system, all threads) and peak RSS in MB. */
function measured(command: string[]): { seconds: number; cpuSeconds: number; peakMb: number } {
  const report = join(tmpdir(), `zeek-arrow-bench-time-${process.pid}`);
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', report, ...command], { stdio: 'inherit' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${command.slice(0, 3).join(' ')} failed`);
  const [user, system, peakKb] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(report, { force: true });
  return { seconds, cpuSeconds: user + system, peakMb: peakKb / 1024 };
}

/**
 * Many small files: rows/s and peak RSS of ingest and read_csv, per file count, with the same rows in all split into
 * N files (memory and time must not grow with the files) and with 62 rows a file (time grows with the rows alone).
 */
function manyFiles(dir: string, counts: number[], runs: number, equalRows: number): void {
  const logsDir = join(dir, 'many');
  const lines: string[] = [];
  const cases = [
    ...counts.map(files => ({ label: 'equal rows', files, rows: equalRows })),
    ...counts.map(files => ({ label: '62 rows a file', files, rows: files * 62 })),
  ];
  for (const { label, files, rows } of cases) {
    buildManyFiles(logsDir, files, rows);
    const oursDb = join(dir, 'ingest.duckdb');
    const peerDb = join(dir, 'read_csv.duckdb');
    const ours: { seconds: number; peakMb: number }[] = [];
    const peer: { seconds: number; peakMb: number }[] = [];
    for (let run = 0; run < runs; run++) {
      rmSync(oursDb, { force: true });
      ours.push(measured(['node', join(REPO, 'bin', 'zeek-arrow.js'), 'ingest', logsDir, '--db', oursDb, '--quiet']));
      rmSync(peerDb, { force: true });
      peer.push(measured(['node', '-e', peerScript(logsDir, peerDb, false, ['conn'])]));
    }
    if (count(oursDb, 'conn') !== rows) throw new Error(`conn rows: ingest ${count(oursDb, 'conn')}, expected ${rows}`);
    const t = (xs: { seconds: number }[]) => median(xs.map(x => x.seconds));
    const m = (xs: { peakMb: number }[]) => Math.max(...xs.map(x => x.peakMb));
    lines.push(`${label.padEnd(14)} ${String(files).padStart(6)} files ${String(rows).padStart(8)} rows: ` +
      `zeek-arrow ingest ${String(Math.round(rows / t(ours))).padStart(7)} rows/s, peak ${m(ours).toFixed(0).padStart(4)} MB; ` +
      `duckdb read_csv ${String(Math.round(rows / t(peer))).padStart(7)} rows/s, peak ${m(peer).toFixed(0).padStart(4)} MB; ` +
      `rate ratio ${(t(peer) / t(ours)).toFixed(2)}`);
    process.stdout.write(lines[lines.length - 1] + '\n');
  }
  rmSync(logsDir, { recursive: true, force: true });
  process.stdout.write(`\nmany small files (median of ${runs} runs; peak RSS the highest); ` +
    `goal: ingest's peak within its stated bound (README), rows/s not falling with files\n${lines.join('\n')}\n`);
}

function count(db: string, table: string): number {
  const out = execFileSync('node', [join(REPO, 'bin', 'zeek-arrow.js'), 'sql', '--db', db, `SELECT count(*) FROM "${table}"`, '--format', 'csv']);
  return Number(String(out).trim().split('\n')[1]);
}


function main(): void {
  const options = new Command('bench-ingest')
    .option('--conn-rows <n>', 'conn rows in the set (at least)', v => Number(v), 1_000_000)
    .option('--dir <dir>', 'where to build the set', join(tmpdir(), 'zeek-arrow-bench-ingest'))
    .option('--runs <n>', 'runs of each, interleaved (the median is reported)', v => Number(v), 3)
    .option('--logs <paths...>', 'only these log paths (default: every log of the corpus)')
    .option('--files <counts...>', 'measure archives of this many small conn logs instead (rows/s and peak RSS)')
    .option('--equal-rows <n>', 'with --files: rows in all for the equal-rows case', v => Number(v), 620_000)
    .parse().opts<{ connRows: number; dir: string; runs: number; logs?: string[]; files?: string[]; equalRows: number }>();
  if (!existsSync(CORPUS_LOGS)) throw new Error(`corpus logs not found at ${CORPUS_LOGS}`);
  if (options.files) {
    manyFiles(options.dir, options.files.map(Number), options.runs, options.equalRows);
    return;
  }
  const logsDir = join(options.dir, 'logs');
  process.stdout.write(`building the log set in ${logsDir} ...\n`);
  const counts = buildSet(logsDir, options.connRows, options.logs);
  const rows = Object.values(counts).reduce((a, b) => a + b, 0);
  const files = readdirSync(logsDir).length;
  const bytes = readdirSync(logsDir).reduce((n, f) => n + readFileSync(join(logsDir, f)).length, 0);
  process.stdout.write(`${files} files, ${(bytes / 1e6).toFixed(0)} MB, ${rows} rows (conn ${counts.conn})\n`);

  // Both sides load with and without keeping rows in file order (DuckDB's preserve_insertion_order).
  const times: Record<string, number[]> = { ours: [], oursOrdered: [], peer: [], peerOrdered: [] };
  const oursDb = join(options.dir, 'ingest.duckdb');
  const peerDb = join(options.dir, 'read_csv.duckdb');
  const cpu: Record<string, number[]> = { ours: [], oursOrdered: [], peer: [], peerOrdered: [] };
  const peak: Record<string, number[]> = { ours: [], oursOrdered: [], peer: [], peerOrdered: [] };
  const ingest = (kind: string, label: string, extra: string[]) => {
    rmSync(oursDb, { force: true });
    times[kind].push(timed(label, ['node', join(REPO, 'bin', 'zeek-arrow.js'), 'ingest', logsDir, '--db', oursDb, '--quiet', ...extra],
      cpu[kind], peak[kind]));
  };
  const readCsv = (kind: string, label: string, keepOrder: boolean) => {
    rmSync(peerDb, { force: true });
    times[kind].push(timed(label, ['node', '-e', peerScript(logsDir, peerDb, keepOrder, options.logs)], cpu[kind], peak[kind]));
  };
  for (let run = 1; run <= options.runs; run++) {
    process.stdout.write(`run ${run}\n`);
    ingest('ours', 'zeek-arrow ingest', []);
    readCsv('peer', 'duckdb read_csv', false);
    if (run === 1) {
      const got = count(oursDb, 'conn');
      const want = count(peerDb, 'conn');
      if (got !== counts.conn || want !== counts.conn) throw new Error(`conn rows: ingest ${got}, read_csv ${want}, expected ${counts.conn}`);
    }
    ingest('oursOrdered', 'zeek-arrow ingest --keep-order', ['--keep-order']);
    readCsv('peerOrdered', 'duckdb read_csv, in order', true);
  }
  const rate = (xs: number[]) => rows / median(xs);
  const line = (label: string, ours: number[], peer: number[]) =>
    `${label}: zeek-arrow ingest ${Math.round(rate(ours))} rows/s, duckdb read_csv ${Math.round(rate(peer))} rows/s, ` +
    `ratio ${(rate(ours) / rate(peer)).toFixed(2)}\n`;
  process.stdout.write(`\nmedian of ${options.runs} runs, ${rows} rows, target ratio >= 0.70 (the full set), >= 0.80 (--logs conn)\n`);
  process.stdout.write(line('parallel load (default)', times.ours, times.peer));
  process.stdout.write(line('rows kept in file order', times.oursOrdered, times.peerOrdered));
  // CPU seconds of each whole process: what the rate ratio would be on an idle machine if both kept the cores busy.
  const cpuLine = (label: string, ours: string, peer: string) =>
    `${label}: CPU ${median(cpu[ours]).toFixed(2)} s vs ${median(cpu[peer]).toFixed(2)} s, ratio ${(median(cpu[peer]) / median(cpu[ours])).toFixed(2)}; ` +
    `peak RSS ${Math.max(...peak[ours]).toFixed(0)} MB vs ${Math.max(...peak[peer]).toFixed(0)} MB\n`;
  process.stdout.write(cpuLine('parallel load (default)', 'ours', 'peer'));
  process.stdout.write(cpuLine('rows kept in file order', 'oursOrdered', 'peerOrdered'));
}

main();
