// Writer benchmark: Zeek over a large capture built from the corpus
// (scripts/build-big-capture.ts), with Zeek's ASCII writer, its JSON writer,
// zeek-arrow's writer into DuckDB and into Parquet, and Zeek's None writer (Zeek's
// own cost without any output), in one run, interleaved; wall time and peak
// memory (GNU time's maximum resident set) of each, and the ratios to ASCII.
//
//   node dist/scripts/bench-writer.js [--size 512M] [--dir D] [--runs N]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { findZeek } from '../ts/zeek/find-zeek';
import { pluginBuilt, pluginDir } from '../ts/zeek/zeek-process';
import { buildBigCapture, parseSize } from './build-big-capture';
import { median } from './bench-util';

interface Writer { name: string; args: string[] }

const WRITERS: Writer[] = [
  { name: 'ASCII', args: [] },
  { name: 'JSON', args: ['LogAscii::use_json=T'] },
  { name: 'Arrow (DuckDB)', args: ['Log::default_writer=Arrow'] },
  { name: 'Arrow (Parquet)', args: ['Log::default_writer=Arrow', 'LogArrow::sink=parquet'] },
  { name: 'None', args: ['Log::default_writer=Log::WRITER_NONE'] },
];


/** Rows of each ASCII log in `dir` (lines not starting with '#'), largest first. */
function asciiRows(dir: string): [string, number][] {
  return readdirSync(dir).filter(f => f.endsWith('.log'))
    .map((f): [string, number] => [f.slice(0, -4), readFileSync(join(dir, f), 'latin1').split('\n').filter(l => l && !l.startsWith('#')).length])
    .sort((a, b) => b[1] - a[1]);
}

/** One Zeek run under GNU time: wall seconds, CPU seconds (user + system) and peak resident KiB. */
function run(zeek: string, capture: string, writer: Writer, dir: string): { seconds: number; cpu: number; kib: number; bytes: number } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', zeek, '-r', capture, 'policy/protocols/conn/community-id-logging', ...writer.args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, ZEEK_PLUGIN_PATH: pluginDir() }, maxBuffer: 1 << 26,
  });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [seconds, kib, user, system] = last.split(' ').map(Number);
  if (r.status !== 0 || !Number.isFinite(seconds)) throw new Error(`${writer.name}: Zeek failed: ${r.stderr.slice(-2000)}`);
  const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  return { seconds, cpu: user + system, kib, bytes };
}

async function main(): Promise<void> {
  const options = new Command('bench-writer')
    .option('--size <size>', 'capture size (K, M, G suffixes)', '512M')
    .option('--dir <dir>', 'where the capture and the runs go', join(tmpdir(), 'zeek-arrow-bench-pcap'))
    .option('--runs <n>', 'runs of each writer, interleaved (the median is reported)', v => Number(v), 3)
    .option('--only <names>', 'comma-separated writers to run (ASCII is always run): JSON,DuckDB,Parquet,None')
    .parse().opts<{ size: string; dir: string; runs: number; only?: string }>();
  const only = options.only?.split(',').map(s => s.trim().toLowerCase());
  const writers = WRITERS.filter(w => w.name === 'ASCII' || !only || only.some(o => w.name.toLowerCase().includes(o)));
  const zeek = findZeek();
  if (!zeek) throw new Error('no Zeek found (zeek-config on PATH, $ZEEK_HOME, /opt/zeek)');
  if (!pluginBuilt()) throw new Error(`the plugin is not built in ${pluginDir()}: run scripts/setup.sh`);
  if (!existsSync('/usr/bin/time')) throw new Error('GNU time is needed for peak memory (apt-get install time)');
  const size = parseSize(options.size);
  mkdirSync(options.dir, { recursive: true });
  const capture = join(options.dir, `big-${size}.pcap`);
  if (!existsSync(capture) || statSync(capture).size < size) {
    process.stdout.write(`building ${capture} ...\n`);
    await buildBigCapture(capture, size);
  }
  const mb = statSync(capture).size / 1e6;
  execFileSync('cat', [capture], { stdio: ['ignore', 'ignore', 'ignore'] });
  process.stdout.write(`Zeek ${zeek.version} over ${capture} (${mb.toFixed(0)} MB), ${options.runs} runs of each writer\n`);
  const results = new Map<string, { seconds: number[]; cpu: number[]; kib: number[]; bytes: number }>(
    writers.map(w => [w.name, { seconds: [], cpu: [], kib: [], bytes: 0 }]));
  for (let i = 0; i < options.runs; i++) {
    for (const writer of writers) {
      const r = run(zeek.zeek, capture, writer, join(options.dir, 'writer-run'));
      const into = results.get(writer.name)!;
      into.seconds.push(r.seconds);
      into.cpu.push(r.cpu);
      into.kib.push(r.kib);
      into.bytes = r.bytes;
      if (i === 0 && writer.name === 'ASCII') {
        // A log of fewer rows than LogArrow::batch_size (10,000) reaches the Arrow writer's sink only when Zeek ends.
        const rows = asciiRows(join(options.dir, 'writer-run'));
        process.stdout.write(`  ${rows.reduce((n, [, r]) => n + r, 0)} log rows; largest: ${rows.slice(0, 4).map(([l, r]) => `${l} ${r}`).join(', ')}\n`);
      }
      process.stdout.write(`  run ${i + 1} ${writer.name.padEnd(15)} ${r.seconds.toFixed(2)} s, ${r.cpu.toFixed(2)} s CPU, ${(r.kib / 1024).toFixed(0)} MiB peak\n`);
    }
  }
  const ascii = results.get('ASCII')!;
  process.stdout.write('\nmedian wall time, CPU time (user + system) and peak memory; ratios to the ASCII writer (targets for Arrow: wall <= 1.00, peak <= 1.3)\n');
  for (const [name, r] of results) {
    process.stdout.write(`  ${name.padEnd(15)} ${median(r.seconds).toFixed(2)} s (${(median(r.seconds) / median(ascii.seconds)).toFixed(2)}), ` +
      `${median(r.cpu).toFixed(2)} s CPU (${(median(r.cpu) / median(ascii.cpu)).toFixed(2)}), ` +
      `${(median(r.kib) / 1024).toFixed(0)} MiB (${(median(r.kib) / median(ascii.kib)).toFixed(2)}), output ${(r.bytes / 1e6).toFixed(1)} MB\n`);
  }
  rmSync(join(options.dir, 'writer-run'), { recursive: true, force: true });
}

main().catch(e => { process.stderr.write(`bench-writer: ${(e as Error).message}\n`); process.exitCode = 1; });
