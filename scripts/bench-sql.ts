// `zeek-arrow sql` output benchmark: N rows of five conn-like columns (ts, uid,
// address, port, duration) printed by the whole command as CSV, JSON and an
// aligned table into a file, next to DuckDB's own `COPY (query) TO 'f.csv'`
// run in this process, interleaved; medians and the ratio to COPY.
//
//   node dist/scripts/bench-sql.js [--rows 1000000] [--runs 5] [--dir D]
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { Database } from '../ts/duckdb/database';
import { literal } from '../ts/schema/sql-text';
import { PACKAGE_ROOT } from '../ts/common/paths';
import { median } from './bench-util';

const QUERY = 'SELECT ts, uid, "id.orig_h", "id.resp_p", duration FROM conn';

async function main(): Promise<void> {
  const options = new Command('bench-sql')
    .option('--rows <n>', 'rows in the table', v => Number(v), 1_000_000)
    .option('--runs <n>', 'runs of each, interleaved (the median is reported)', v => Number(v), 5)
    .option('--formats <list>', 'the command\'s formats to time', v => v.split(','), ['csv', 'json'])
    .option('--dir <dir>', 'where the data goes', join(tmpdir(), 'zeek-arrow-bench-sql'))
    .parse().opts<{ rows: number; runs: number; formats: string[]; dir: string }>();
  mkdirSync(options.dir, { recursive: true });
  const dbPath = join(options.dir, 'logs.duckdb');
  const out = join(options.dir, 'out');
  rmSync(dbPath, { force: true });
  const db = await Database.open(dbPath);
  await db.run(`CREATE TABLE conn AS SELECT make_timestamptz(1258531221000000 + range * 1000003) AS ts,
      'C' || md5(range::VARCHAR)[1:17] AS uid, format('10.{}.{}.{}', (range >> 16) & 255, (range >> 8) & 255, range & 255) AS "id.orig_h",
      (range % 65536)::UBIGINT AS "id.resp_p", (range % 100000) / 64.0 AS duration FROM range(${options.rows})`);
  db.close();

  const copy = async (): Promise<number> => {
    const start = process.hrtime.bigint();
    const d = await Database.open(dbPath, { access_mode: 'READ_ONLY' });
    await d.run(`COPY (${QUERY}) TO ${literal(out)} (FORMAT csv, HEADER)`);
    d.close();
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const command = (format: string): number => {
    const fd = openSync(out, 'w');
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'zeek-arrow.js'), 'sql', '--db', dbPath, '--format', format, QUERY],
      { stdio: ['ignore', fd, 'pipe'] });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    closeSync(fd);
    if (r.status !== 0) throw new Error(`sql --format ${format} failed: ${r.stderr}`);
    return seconds;
  };
  const runs: Record<string, number[]> = { 'DuckDB COPY TO csv (in process)': [] };
  for (const f of options.formats) runs[`zeek-arrow sql --format ${f}`] = [];
  const sizes: Record<string, number> = {};
  for (let i = 0; i < options.runs; i++) {
    runs['DuckDB COPY TO csv (in process)'].push(await copy());
    sizes['DuckDB COPY TO csv (in process)'] = statSync(out).size;
    for (const f of options.formats) {
      runs[`zeek-arrow sql --format ${f}`].push(command(f));
      sizes[`zeek-arrow sql --format ${f}`] = statSync(out).size;
    }
  }
  rmSync(options.dir, { recursive: true, force: true });
  process.stdout.write(`${options.rows} rows of 5 columns, ${options.runs} runs of each, interleaved\n`);
  const base = median(runs['DuckDB COPY TO csv (in process)']);
  for (const [name, seconds] of Object.entries(runs)) {
    const s = median(seconds);
    process.stdout.write(`${name.padEnd(34)} ${s.toFixed(2)} s (runs: ${seconds.map(x => x.toFixed(2)).join(', ')})  ` +
      `${(sizes[name] / 1048576).toFixed(1)} MiB  ratio ${(s / base).toFixed(2)}\n`);
  }
}

main().catch(e => {
  process.stderr.write(`bench-sql: ${(e as Error).message}\n`);
  process.exit(1);
});
