// Writer benchmark: Zeek over a large capture built from the corpus
// (scripts/build-big-capture.ts), with Zeek's ASCII writer, its JSON writer and
// zeek-arrow's DuckDB writer, in one run, interleaved; wall time and peak memory
// (GNU time's maximum resident set) of each, and the ratios to ASCII.
//
//   node dist/scripts/bench-writer.js [--size 512M] [--dir D] [--runs N]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
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
];


/** One Zeek run under GNU time: wall seconds and peak resident KiB. */
function run(zeek: string, capture: string, writer: Writer, dir: string): { seconds: number; kib: number; bytes: number } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', zeek, '-r', capture, 'policy/protocols/conn/community-id-logging', ...writer.args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, ZEEK_PLUGIN_PATH: pluginDir() }, maxBuffer: 1 << 26,
  });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [seconds, kib] = last.split(' ').map(Number);
  if (r.status !== 0 || !Number.isFinite(seconds)) throw new Error(`${writer.name}: Zeek failed: ${r.stderr.slice(-2000)}`);
  const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  return { seconds, kib, bytes };
}

async function main(): Promise<void> {
  const options = new Command('bench-writer')
    .option('--size <size>', 'capture size (K, M, G suffixes)', '512M')
    .option('--dir <dir>', 'where the capture and the runs go', join(tmpdir(), 'zeek-arrow-bench-pcap'))
    .option('--runs <n>', 'runs of each writer, interleaved (the median is reported)', v => Number(v), 3)
    .parse().opts<{ size: string; dir: string; runs: number }>();
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
  const results = new Map<string, { seconds: number[]; kib: number[]; bytes: number }>(WRITERS.map(w => [w.name, { seconds: [], kib: [], bytes: 0 }]));
  for (let i = 0; i < options.runs; i++) {
    for (const writer of WRITERS) {
      const r = run(zeek.zeek, capture, writer, join(options.dir, 'writer-run'));
      const into = results.get(writer.name)!;
      into.seconds.push(r.seconds);
      into.kib.push(r.kib);
      into.bytes = r.bytes;
      process.stdout.write(`  run ${i + 1} ${writer.name.padEnd(15)} ${r.seconds.toFixed(2)} s, ${(r.kib / 1024).toFixed(0)} MiB peak\n`);
    }
  }
  const ascii = results.get('ASCII')!;
  process.stdout.write('\nmedian wall time and peak memory; ratios to the ASCII writer (target for Arrow: wall <= 1.00)\n');
  for (const [name, r] of results) {
    process.stdout.write(`  ${name.padEnd(15)} ${median(r.seconds).toFixed(2)} s (${(median(r.seconds) / median(ascii.seconds)).toFixed(2)}), ` +
      `${(median(r.kib) / 1024).toFixed(0)} MiB (${(median(r.kib) / median(ascii.kib)).toFixed(2)}), output ${(r.bytes / 1e6).toFixed(1)} MB\n`);
  }
  rmSync(join(options.dir, 'writer-run'), { recursive: true, force: true });
}

main().catch(e => { process.stderr.write(`bench-writer: ${(e as Error).message}\n`); process.exitCode = 1; });
