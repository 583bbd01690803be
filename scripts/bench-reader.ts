// Reader benchmark: a table of N rows (default 1 M) loaded into a Zeek table
// through zeek-arrow's DuckDB reader and through Zeek's own ASCII reader from
// the same rows written as a Zeek TSV log, in one run, interleaved; wall time
// and peak memory (GNU time) of each Zeek, and the ratio to ASCII. Then the same
// two readers over one row, interleaved: what a Zeek pays for Node and DuckDB
// whatever the rows (their start and teardown), out of the gap at N rows.
//
//   node dist/scripts/bench-reader.js [--rows 1000000] [--runs 3] [--dir D]
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { Database } from '../ts/duckdb/database';
import { literal } from '../ts/schema/sql-text';
import { findZeek } from '../ts/zeek/find-zeek';
import { pluginBuilt, pluginDir } from '../ts/zeek/zeek-process';
import { median } from './bench-util';

// An asset inventory as users keep one: an id, an address, a name, when it was seen, a score, tags.
const SCRIPT = `
@load-plugin ZeekArrow::Arrow
@load base/frameworks/input
module Bench;
export { const reader = Input::READER_ASCII &redef; const source = "" &redef; const db = "" &redef; }
type Idx: record { id: count; };
type Asset: record { a: addr; name: string; seen: time; score: double; tags: set[string]; };
global assets: table[count] of Asset = table();
event Input::end_of_data(name: string, source: string) { print |assets|; terminate(); }
event zeek_init() {
  Input::add_table([$source=source, $name="assets", $idx=Idx, $val=Asset, $destination=assets, $reader=reader,
                    $config=db == "" ? table() : table(["db"] = db)]);
}
`;


async function makeData(dir: string, rows: number): Promise<{ db: string; tsv: string }> {
  const db = join(dir, 'assets.duckdb');
  const tsv = join(dir, 'assets.log');
  rmSync(db, { force: true });
  const d = await Database.open(db);
  await d.run(`CREATE TABLE assets AS SELECT
      range::UBIGINT AS id,
      format('10.{}.{}.{}', (range >> 16) & 255, (range >> 8) & 255, range & 255) AS a,
      'host-' || range AS name,
      make_timestamptz(1700000000000000 + range * 1000003) AS seen,
      (range % 1000) / 8.0 AS score,
      CASE WHEN range % 3 = 0 THEN []::VARCHAR[] ELSE ['tag' || (range % 7), 'site' || (range % 5)] END AS tags
    FROM range(${rows})`);
  writeFileSync(tsv, ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tassets',
    '#fields\tid\ta\tname\tseen\tscore\ttags', '#types\tcount\taddr\tstring\ttime\tdouble\tset[string]', ''].join('\n'));
  const body = `${tsv}.body`;
  await d.run(`COPY (SELECT id, a, name, printf('%.6f', epoch_us(seen) / 1e6), score,
      CASE WHEN len(tags) = 0 THEN '(empty)' ELSE array_to_string(tags, ',') END FROM assets)
    TO ${literal(body)} (FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '')`);
  d.close();
  appendFileSync(tsv, readFileSync(body));
  rmSync(body);
  return { db, tsv };
}

function run(zeek: string, dir: string, args: string[], rows: number): { seconds: number; cpu: number; kib: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', zeek, '-b', 'bench.zeek', ...args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, ZEEK_PLUGIN_PATH: pluginDir() },
  });
  const [seconds, kib, user, system] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  if (r.status !== 0 || r.stdout.trim() !== String(rows)) {
    throw new Error(`Zeek ${args.join(' ')} loaded ${r.stdout.trim()} rows, not ${rows}: ${r.stderr.slice(-2000)}`);
  }
  return { seconds, cpu: user + system, kib };
}

async function main(): Promise<void> {
  const options = new Command('bench-reader')
    .option('--rows <n>', 'rows in the table', v => Number(v), 1_000_000)
    .option('--runs <n>', 'runs of each reader, interleaved (the median is reported)', v => Number(v), 3)
    .option('--dir <dir>', 'where the data goes', join(tmpdir(), 'zeek-arrow-bench-reader'))
    .parse().opts<{ rows: number; runs: number; dir: string }>();
  const zeek = findZeek();
  if (!zeek) throw new Error('no Zeek found (zeek-config on PATH, $ZEEK_HOME, /opt/zeek)');
  if (!pluginBuilt()) throw new Error(`the plugin is not built in ${pluginDir()}: run scripts/setup.sh`);
  if (!existsSync('/usr/bin/time')) throw new Error('GNU time is needed for peak memory (apt-get install time)');
  mkdirSync(options.dir, { recursive: true });
  writeFileSync(join(options.dir, 'bench.zeek'), SCRIPT);
  const { db, tsv } = await makeData(options.dir, options.rows);
  const oneRow = join(options.dir, 'one-row.log');
  const lines = readFileSync(tsv, 'utf8').split('\n');
  const headerLines = lines.findIndex(l => !l.startsWith('#'));
  writeFileSync(oneRow, lines.slice(0, headerLines + 1).join('\n') + '\n');
  const readers = [
    { name: 'ASCII reader (TSV)', args: [`Bench::source=${tsv}`] },
    { name: 'Arrow reader (DuckDB)', args: ['Bench::reader=Input::READER_ARROW', 'Bench::source=SELECT * FROM assets', `Bench::db=${db}`] },
  ];
  process.stdout.write(`Zeek ${zeek.version}: ${options.rows} rows into a table[count] of record, ${options.runs} runs of each\n`);
  const results = readers.map(() => ({ seconds: [] as number[], cpu: [] as number[], kib: [] as number[] }));
  for (let i = 0; i < options.runs; i++) {
    readers.forEach((reader, k) => {
      const r = run(zeek.zeek, options.dir, reader.args, options.rows);
      results[k].seconds.push(r.seconds);
      results[k].cpu.push(r.cpu);
      results[k].kib.push(r.kib);
    });
  }
  // One row each: the fixed cost of a Zeek with each reader.
  const fixed = [
    { args: [`Bench::source=${oneRow}`], seconds: [] as number[] },
    { args: ['Bench::reader=Input::READER_ARROW', 'Bench::source=SELECT * FROM assets LIMIT 1', `Bench::db=${db}`], seconds: [] as number[] },
  ];
  for (let i = 0; i < Math.max(5, options.runs); i++) {
    for (const f of fixed) f.seconds.push(run(zeek.zeek, options.dir, f.args, 1).seconds);
  }
  const base = median(results[0].seconds);
  const baseCpu = median(results[0].cpu);
  const baseKib = median(results[0].kib);
  process.stdout.write('median wall time, CPU time (user + system), peak memory, and their ratios to ASCII (targets: wall <= 1.00, peak <= 1.2)\n');
  readers.forEach((reader, k) => {
    const s = median(results[k].seconds);
    const cpu = median(results[k].cpu);
    const kib = median(results[k].kib);
    process.stdout.write(`${reader.name.padEnd(24)} ${s.toFixed(2)} s (${(s / base).toFixed(2)}; runs: ${results[k].seconds.join(', ')})  ` +
      `${cpu.toFixed(2)} s CPU (${(cpu / baseCpu).toFixed(2)})  peak ${(kib / 1024).toFixed(0)} MiB (${(kib / baseKib).toFixed(2)})\n`);
  });
  const [asciiOne, arrowOne] = fixed.map(f => median(f.seconds));
  const gap = median(results[1].seconds) - base;
  process.stdout.write(`one row (medians of ${fixed[0].seconds.length}): ASCII ${asciiOne.toFixed(2)} s, Arrow ${arrowOne.toFixed(2)} s: ` +
    `${(arrowOne - asciiOne).toFixed(2)} s a Zeek for Node and DuckDB whatever the rows, of the ${gap.toFixed(2)} s gap at ${options.rows} rows\n`);
}

main().catch(e => {
  process.stderr.write(`bench-reader: ${(e as Error).message}\n`);
  process.exit(1);
});
