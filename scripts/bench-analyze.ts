// analyze on Zeek's cluster: a large capture built from the corpus
// (scripts/build-big-capture.ts) analyzed with --workers 1 and --workers 2,
// interleaved, next to one plain `zeek -r` of the same capture. Prints wall time
// and its ratio, CPU seconds per GB of all workers together against the plain
// Zeek's, the reader's own throughput (decode, hash, shard: the merge fed into
// pipes that drop the packets; the index and the pipe writes on threads of
// their own) on one core,
// how many workers it can feed at the measured per-worker rate, and each node's
// peak memory.
//
//   node dist/scripts/bench-analyze.js [--size 512M] [--dir D] [--runs N]
//   node dist/scripts/bench-analyze.js --reader-only [--worker-rate MB] [--runs N]: the reader alone (about a
//   minute): its runs, and one plain `zeek -r` for the per-worker rate unless --worker-rate gives it (MB per CPU s)
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { Database } from '../ts/duckdb/database';
import { nativeBridge } from '../ts/duckdb/bridge';
import { addressShard } from '../ts/pcap/address-shard';
import { mergeByTime } from '../ts/pcap/capture-merge';
import { startOf } from '../ts/pcap/capture-start';
import { IndexThreads } from '../ts/pcap/index-beside';
import { ensurePcapTables } from '../ts/pcap/index-tables';
import { fingerprint, indexNewCaptures } from '../ts/pcap/indexer';
import { ScannedCapture, scanCapture } from '../ts/pcap/scan-capture';
import { LINKTYPE } from '../ts/pcap/types';
import { shardedSources } from '../ts/jobs/analyze-cluster';
import { ShardFeed } from '../ts/zeek/shard-feed';
import { findZeek } from '../ts/zeek/find-zeek';
import type { TimelineMark } from '../ts/common/run-timeline';
import { pluginBuilt, pluginDir } from '../ts/zeek/zeek-process';
import { buildBigCapture, parseSize } from './build-big-capture';
import { median } from './bench-util';

const CLI = join(__dirname, '..', '..', 'bin', 'zeek-arrow.js');
const TICK = 100; // USER_HZ of /proc/<pid>/stat

interface NodeUse { cpu: number; kib: number }
/** A run's wall seconds, each process's use, and the seconds from its start at which it reached each mark (--workers 2). */
interface Run { seconds: number; nodes: Map<string, NodeUse>; marks: Map<string, number> }

/** CPU seconds and peak resident KiB of a process, from /proc (undefined once it is gone). */
function use(pid: number): { cpu: number; kib: number; name: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / TICK;
    const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find(v => v.startsWith('CLUSTER_NODE='));
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return { cpu, kib: hwm ? Number(hwm[1]) : 0, name: env ? env.slice('CLUSTER_NODE='.length) : comm };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

/** Runs a command, sampling every 100 ms the CPU and peak memory of it and of its children (the Zeek nodes). */
function measured(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const start = process.hrtime.bigint();
  const began = Date.now();
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', t => { stderr += t; });
  const nodes = new Map<string, NodeUse>();
  const sample = () => {
    for (const pid of [child.pid!, ...childrenOf(child.pid!)]) {
      const u = use(pid);
      if (!u) continue;
      // The command itself: zeek-arrow (node), or the plain Zeek; its children are the cluster's nodes.
      const name = pid !== child.pid ? u.name : command === 'node' ? 'zeek-arrow' : 'zeek';
      const seen = nodes.get(name);
      nodes.set(name, { cpu: Math.max(seen?.cpu ?? 0, u.cpu), kib: Math.max(seen?.kib ?? 0, u.kib) });
    }
  };
  const timer = setInterval(sample, 100);
  return new Promise((resolve, reject) => child.once('close', status => {
    clearInterval(timer);
    if (status !== 0) reject(new Error(`${command} ${args.join(' ')} failed (${status}): ${stderr.slice(-2000)}`));
    else resolve({ seconds: Number(process.hrtime.bigint() - start) / 1e9, nodes, marks: timeline(env.ZEEK_ARROW_TIMELINE, began) });
  }));
}

/** The marks zeek-arrow wrote to `file` (ts/common/run-timeline.ts), in seconds from `began`; the file is removed. */
function timeline(file: string | undefined, began: number): Map<string, number> {
  const marks = new Map<string, number>();
  if (!file || !existsSync(file)) return marks;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const m = JSON.parse(line) as TimelineMark;
    marks.set(m.mark, (m.at - began) / 1000);
  }
  rmSync(file);
  return marks;
}

/** CPU seconds of each thread of this process, by thread id. */
function threadsCpu(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / TICK);
    } catch {
      // ended
    }
  }
  return cpu;
}

/** CPU seconds of this process's main thread: the reader's own core (the index, hashing and DuckDB run on threads of their own). */
function mainThreadCpu(): number {
  return threadsCpu().get(process.pid) ?? 0;
}

interface ReaderRun {
  seconds: number;
  /** The reader's thread: merge, decode, shard, copy into the workers' chunks; then the index's store into DuckDB (not its close). */
  thread: number;
  /** The reader's thread until the last packet was handed to the pipes (the store not yet begun, or barely). */
  feeding: number;
  /** The index thread (flows, Community IDs), from the chunks the reader's thread moves to it. */
  index: number;
  /** The pipe writer thread (the kernel's copy of every byte into the workers' pipes). */
  pipes: number;
  /** The whole process: with the index, pipe writer and SHA-256 threads, DuckDB's store and the garbage collector's threads. */
  cpu: number;
  /** One thread decoding and indexing alone (scanCapture; no merge, no shard, no feed). */
  scanThread: number;
}

/** The threads of this process that appear while `start` runs (the worker threads it starts), and its result. */
function startsThreads<T>(start: () => T): { result: T; tids: number[] } {
  const before = threadsCpu();
  const result = start();
  return { result, tids: [...threadsCpu().keys()].filter(t => !before.has(t)) };
}

/**
 * The reader alone, as analyze --workers N runs it (ts/jobs/analyze-cluster.ts): merge, decode and shard one
 * capture, the packets fed (ShardFeed) into 1 MiB pipes (as a Zeek worker's stdin) of `workers` processes that
 * throw them away, the index built on its own thread into a scratch database.
 */
async function readerAlone(capture: string, dir: string, workers: number): Promise<ReaderRun> {
  const scan0 = mainThreadCpu();
  await scanCapture(capture);
  const scanThread = mainThreadCpu() - scan0;
  rmSync(join(dir, 'reader.duckdb'), { force: true });
  const db = await Database.open(join(dir, 'reader.duckdb'));
  await ensurePcapTables(db);
  // Pipes of 1 MiB, as a Zeek worker's stdin (ts/zeek/zeek-process.ts), read by processes that drop the bytes.
  const pipes = Array.from({ length: workers }, () => nativeBridge().childPipe(1 << 20));
  const sinks = pipes.map(p => spawn('sh', ['-c', 'exec cat > /dev/null'], { stdio: [p.read, 'ignore', 'inherit'] }));
  for (const p of pipes) closeSync(p.read);
  const inputs = pipes.map(p => new Socket({ fd: p.write, readable: false, writable: true }));
  const size = statSync(capture).size;
  const start = await startOf({ file: capture, size, fingerprint: await fingerprint(capture, size) });
  const { result: threads, tids: indexTids } = startsThreads(() => new IndexThreads());
  const { result: feed, tids: pipeTids } = startsThreads(() => new ShardFeed(inputs, LINKTYPE.ETHERNET));
  await new Promise(r => setTimeout(r, 300)); // the threads started
  const cpu0 = process.cpuUsage();
  const at0 = threadsCpu();
  // The last figure of each thread (the pipe writer's ends with the feed).
  const last = new Map(at0);
  const sampler = setInterval(() => { for (const [t, c] of threadsCpu()) last.set(t, c); }, 50);
  const began = process.hrtime.bigint();
  let fed!: Map<number, number>;
  let stored!: Map<number, number>;
  try {
    let scanned!: Promise<ScannedCapture>;
    let opened!: () => void;
    const open = new Promise<void>(r => { opened = r; });
    const sources = shardedSources([start], packet => addressShard(packet, workers), ({ file, info }) => {
      const index = threads.index(file, info.gzip);
      scanned = index.scanned;
      opened();
      return { share: index.share };
    });
    const merge = mergeByTime(sources, feed);
    const indexing = indexNewCaptures(db, { fresh: [start], known: [], problems: [] }, { scan: async () => { await open; return scanned; } });
    await merge;
    await feed.end();
    fed = threadsCpu();
    await indexing;
    stored = threadsCpu();
  } finally {
    clearInterval(sampler);
    await feed.close();
    db.close();
    await Promise.all(sinks.map(c => (c.exitCode === null ? once(c, 'exit') : undefined)));
  }
  for (const [t, c] of threadsCpu()) last.set(t, c);
  const of = (tids: number[], at = last) => tids.reduce((n, t) => n + (at.get(t) ?? 0) - (at0.get(t) ?? 0), 0);
  await threads.close();
  const cpu = process.cpuUsage(cpu0);
  return {
    seconds: Number(process.hrtime.bigint() - began) / 1e9, thread: of([process.pid], stored), feeding: of([process.pid], fed),
    index: of(indexTids), pipes: of(pipeTids), cpu: (cpu.user + cpu.system) / 1e6, scanThread,
  };
}

async function main(): Promise<void> {
  const options = new Command('bench-analyze')
    .option('--size <size>', 'capture size', '512M')
    .option('--dir <dir>', 'where the capture and the databases go', join(tmpdir(), 'zeek-arrow-bench-analyze'))
    .option('--runs <n>', 'interleaved runs of each', '1')
    .option('--reader-only', 'only the reader alone (and one plain zeek -r, for the per-worker rate)')
    .option('--worker-rate <mb>', 'with --reader-only: MB one Zeek worker takes per CPU second (no zeek -r run)')
    .parse().opts<{ size: string; dir: string; runs: string; readerOnly?: boolean; workerRate?: string }>();
  const zeek = findZeek();
  if (!zeek || !pluginBuilt()) throw new Error('bench-analyze needs Zeek and the built plugin (scripts/setup.sh)');
  mkdirSync(options.dir, { recursive: true });
  const size = parseSize(options.size);
  const capture = join(options.dir, `big-${options.size}.pcap`);
  if (!existsSync(capture)) await buildBigCapture(capture, size);
  const gb = statSync(capture).size / 1e9;
  const mb = gb * 1000;
  console.log(`capture ${capture}: ${mb.toFixed(0)} MB`);
  const busy = spawnSync('sh', ['-c', 'ps -eo pcpu,comm --sort=-pcpu | head -4'], { encoding: 'utf8' }).stdout;
  console.log(`busiest processes before the runs (these 2 cores are shared with other engineers):\n${busy}`);

  if (options.readerOnly) {
    const reader: ReaderRun[] = [];
    for (let i = 0; i < Number(options.runs); i++) {
      reader.push(await readerAlone(capture, options.dir, 2));
      console.log(`run ${i + 1} (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}): reader alone ${reader[i].seconds.toFixed(1)} s, ` +
        `its thread ${reader[i].feeding.toFixed(2)} CPU s feeding (${reader[i].thread.toFixed(2)} s with the index's store), the index thread ` +
        `${reader[i].index.toFixed(2)} s, the pipe writer ${reader[i].pipes.toFixed(2)} s, the process ${reader[i].cpu.toFixed(2)} s`);
    }
    let perWorker = Number(options.workerRate);
    if (!options.workerRate) {
      const work = join(options.dir, 'run');
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work);
      const plain = await measured(zeek.zeek, ['-C', '-r', capture, 'policy/protocols/conn/community-id-logging'], work);
      rmSync(work, { recursive: true, force: true });
      perWorker = mb / cpuOf([plain], n => n === 'zeek');
    }
    console.log(`--- medians of ${reader.length} runs${options.workerRate ? ' (per-worker rate given)' : ''}:`);
    reportReader(mb, perWorker, reader, options.workerRate ? '--worker-rate' : 'plain zeek -r');
    return;
  }

  const plain: Run[] = [];
  const arrow: Run[] = [];
  const one: Run[] = [];
  const two: Run[] = [];
  const reader: ReaderRun[] = [];
  const loads: string[] = [];
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  for (let i = 0; i < Number(options.runs); i++) {
    loads.push(load());
    reader.push(await readerAlone(capture, options.dir, 2));
    console.log(`run ${i + 1} (load ${loads[loads.length - 1]}): reader alone ${reader[i].seconds.toFixed(1)} s`);
    const work = join(options.dir, 'run');
    const zeekArrow = [zeek.zeek, '-C', '-r', capture, 'policy/protocols/conn/community-id-logging', 'Log::default_writer=Log::WRITER_ARROW', 'LogArrow::db_path=arrow.duckdb'];
    for (const [list, [command, ...args]] of [
      [plain, [zeek.zeek, '-C', '-r', capture, 'policy/protocols/conn/community-id-logging']],
      [arrow, zeekArrow],
      [one, ['node', CLI, 'analyze', '--no-progress', '--quiet', '-C', '--workers', '1', capture, '--db', 'one.duckdb']],
      [two, ['node', CLI, 'analyze', '--no-progress', '--quiet', '-C', '--workers', '2', capture, '--db', 'two.duckdb']],
    ] as [Run[], string[]][]) {
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work);
      const env = list === arrow ? { ZEEK_PLUGIN_PATH: pluginDir() } : list === two ? { ZEEK_ARROW_TIMELINE: join(options.dir, 'timeline.jsonl') } : {};
      list.push(await measured(command, args, work, env));
      console.log(`run ${i + 1}: ${[command, ...args].slice(0, 9).join(' ')}: ${list[list.length - 1].seconds.toFixed(1)} s`);
    }
    // Each run's figures as it ends (peers from the same run), then the medians.
    const at = (xs: Run[]) => xs.slice(i, i + 1);
    console.log(`--- run ${i + 1} alone:`);
    report(mb, at(plain), at(arrow), at(one), at(two), reader.slice(i, i + 1));
  }
  loads.push(load());
  rmSync(join(options.dir, 'run'), { recursive: true, force: true });
  console.log(`--- medians of ${plain.length} runs:`);
  report(mb, plain, arrow, one, two, reader);
  console.log(`load average (1, 5, 15 min) before each run and at the end: ${loads.join('; ')} (2 cores, shared with other engineers)`);
}

/** CPU seconds (median over the runs) of the processes whose node name `pick` accepts. */
function cpuOf(runs: Run[], pick: (name: string) => boolean): number {
  return median(runs.map(r => [...r.nodes].filter(([n]) => pick(n)).reduce((s, [, u]) => s + u.cpu, 0)));
}

/** The reader's figures (medians): MB per CPU second of its thread, and the workers that feeds at `perWorker` MB per CPU s. */
function reportReader(mb: number, perWorker: number, reader: ReaderRun[], rateFrom = 'plain zeek -r'): void {
  const m = (pick: (x: ReaderRun) => number) => median(reader.map(pick));
  const r = { seconds: m(x => x.seconds), cpu: m(x => x.cpu), index: m(x => x.index), pipes: m(x => x.pipes), thread: m(x => x.thread),
    feeding: m(x => x.feeding), scanThread: m(x => x.scanThread) };
  const fed = (cpuSeconds: number) => `${(mb / cpuSeconds).toFixed(0)} MB per CPU second = ${Math.floor(mb / cpuSeconds / perWorker)} workers`;
  console.log(`one Zeek worker takes ${perWorker.toFixed(1)} MB per CPU second (${rateFrom}); the reader alone (fed into 2 pipes), ${(mb / r.seconds).toFixed(0)} MB/s wall:`);
  console.log(`  the reader's thread (read, decode, shard hash, merge, copy into the workers' chunks) until the last packet is in the pipes ` +
    `${r.feeding.toFixed(2)} CPU s: ${fed(r.feeding)}`);
  console.log(`  the same thread with the index's store into DuckDB after it ${r.thread.toFixed(2)} CPU s: ${fed(r.thread)}`);
  console.log(`  the index thread (flows, Community IDs, from the chunks the reader moves to it) ${r.index.toFixed(2)} CPU s: ${fed(r.index)}; ` +
    `the pipe writer thread (the kernel's copy into the pipes) ${r.pipes.toFixed(2)} s: ${fed(r.pipes)}`);
  console.log(`  one thread decoding and indexing alone ${r.scanThread.toFixed(2)} s: ${fed(r.scanThread)}; the whole process ${r.cpu.toFixed(2)} CPU s ` +
    `(with the index, pipe writer and SHA-256 threads, DuckDB's store, the GC threads): ${fed(r.cpu)}`);
}

/** Prints the figures of the runs given (medians when several). */
function report(mb: number, plain: Run[], arrow: Run[], one: Run[], two: Run[], reader: ReaderRun[]): void {
  const gb = mb / 1000;
  const wall = (runs: Run[]) => median(runs.map(r => r.seconds));
  const plainCpu = cpuOf(plain, n => n === 'zeek');
  const workersCpu = cpuOf(two, n => n.startsWith('worker-'));
  console.log(`wall: --workers 1 ${wall(one).toFixed(1)} s, --workers 2 ${wall(two).toFixed(1)} s: ${(wall(one) / wall(two)).toFixed(2)}x (plain zeek -r ${wall(plain).toFixed(1)} s)`);
  console.log(`CPU per GB: 2 workers together ${(workersCpu / gb).toFixed(1)} s/GB, plain zeek -r ${(plainCpu / gb).toFixed(1)} s/GB: ${(workersCpu / plainCpu).toFixed(2)}x`);
  reportReader(mb, mb / plainCpu, reader);
  console.log(`--workers 1 is one Zeek with the Arrow writer fed by zeek-arrow: CPU (medians) plain zeek -r ${plainCpu.toFixed(1)} s, ` +
    `zeek -r with the Arrow writer ${cpuOf(arrow, n => n === 'zeek').toFixed(1)} s, --workers 1: its Zeek ${cpuOf(one, n => n !== 'zeek-arrow').toFixed(1)} s + ` +
    `zeek-arrow (read, index, hash, feed) ${cpuOf(one, n => n === 'zeek-arrow').toFixed(1)} s; wall ${wall(plain).toFixed(1)} / ${wall(arrow).toFixed(1)} / ${wall(one).toFixed(1)} s`);
  // Every process of a run together: on 2 idle cores a run takes at least half its CPU seconds, and --workers 1 at
  // least its Zeek's main thread (about a plain zeek -r): the most --workers 2 can gain there, whatever the load now.
  const all = (runs: Run[]) => cpuOf(runs, () => true);
  const floor1 = Math.max(all(one) / 2, plainCpu);
  console.log(`CPU of every process: plain zeek -r ${all(plain).toFixed(1)} s, --workers 1 ${all(one).toFixed(1)} s (${(all(one) / wall(one)).toFixed(2)} cores busy on average), ` +
    `--workers 2 ${all(two).toFixed(1)} s (${(all(two) / wall(two)).toFixed(2)} cores); on 2 idle cores --workers 1 needs >= ${floor1.toFixed(1)} s, --workers 2 >= ${(all(two) / 2).toFixed(1)} s: ` +
    `--workers 2 can be at most ${(floor1 / (all(two) / 2)).toFixed(2)}x faster`);
  phases(two);
  for (const [label, runs] of [['plain zeek -r', plain], ['zeek -r, Arrow writer', arrow], ['--workers 1', one], ['--workers 2', two]] as [string, Run[]][]) {
    const names = [...runs[0].nodes.keys()];
    const of = (name: string, pick: (u: NodeUse) => number) => median(runs.map(r => (r.nodes.get(name) ? pick(r.nodes.get(name)!) : 0)));
    console.log(`peak memory and CPU (medians) ${label}: ${names.map(n => `${n} ${(of(n, u => u.kib) / 1024).toFixed(0)} MiB (${of(n, u => u.cpu).toFixed(1)} CPU s)`).join(', ')}`);
  }
}

/**
 * When --workers 2 reached each phase (medians, seconds from its start), and how long its tail takes: from the
 * last worker's exit (every packet analyzed) to the end, where one core does the work (the logger ends, writing
 * its last rows into DuckDB; zeek-arrow adds the logs to the database and closes it).
 */
function phases(two: Run[]): void {
  const names = [...two[0].marks.keys()];
  if (!names.length) return;
  const at = (name: string) => median(two.map(r => r.marks.get(name) ?? NaN));
  const workersOut = median(two.map(r => Math.max(...[...r.marks].filter(([n]) => /^worker-.* exited$/.test(n)).map(([, t]) => t))));
  const end = median(two.map(r => r.seconds));
  console.log(`--workers 2 phases (s from its start): ${names.map(n => `${n} ${at(n).toFixed(1)}`).join(', ')}, end ${end.toFixed(1)}`);
  console.log(`  tail after the last worker's exit: ${(end - workersOut).toFixed(1)} s (logger's end ${(at('logger exited') - workersOut).toFixed(1)} s, ` +
    `then logs merged and database closed ${(end - at('logger exited')).toFixed(1)} s); before the nodes started ${at('nodes started').toFixed(1)} s`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
