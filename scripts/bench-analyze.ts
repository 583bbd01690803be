// analyze on Zeek's cluster: a large capture built from the corpus
// (scripts/build-big-capture.ts) analyzed with --workers 1 and --workers 2,
// interleaved, next to one plain `zeek -r` of the same capture. Prints wall time
// and its ratio, CPU seconds per GB of all workers together against the plain
// Zeek's, the reader's own throughput (decode, hash, shard, index: the merge
// fed into a sink that drops the packets) on one core, how many workers it can
// feed at the measured per-worker rate, and each node's peak memory.
//
//   node dist/scripts/bench-analyze.js [--size 512M] [--dir D] [--runs N]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { Database } from '../ts/duckdb/database';
import { addressShard } from '../ts/pcap/address-shard';
import { MergedPacket, PacketArena, mergeByTime } from '../ts/pcap/capture-merge';
import { ensurePcapTables } from '../ts/pcap/index-tables';
import { fingerprint, indexNewCaptures } from '../ts/pcap/indexer';
import { scanCapture } from '../ts/pcap/scan-capture';
import { findZeek } from '../ts/zeek/find-zeek';
import { pluginBuilt } from '../ts/zeek/zeek-process';
import { buildBigCapture, parseSize } from './build-big-capture';
import { median } from './bench-util';

const CLI = join(__dirname, '..', '..', 'bin', 'zeek-arrow.js');
const TICK = 100; // USER_HZ of /proc/<pid>/stat

interface NodeUse { cpu: number; kib: number }
interface Run { seconds: number; nodes: Map<string, NodeUse> }

/** CPU seconds and peak resident KiB of a process, from /proc (undefined once it is gone). */
function use(pid: number): { cpu: number; kib: number; name: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / TICK;
    const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find(v => v.startsWith('CLUSTER_NODE='));
    return { cpu, kib: hwm ? Number(hwm[1]) : 0, name: env ? env.slice('CLUSTER_NODE='.length) : 'zeek' };
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
function measured(command: string, args: string[], cwd: string): Promise<Run> {
  const start = process.hrtime.bigint();
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
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
    else resolve({ seconds: Number(process.hrtime.bigint() - start) / 1e9, nodes });
  }));
}

/** The reader alone: merge, decode, shard and index one capture into a scratch database, packets dropped. */
async function readerAlone(capture: string, dir: string, workers: number): Promise<{ seconds: number; cpu: number }> {
  rmSync(join(dir, 'reader.duckdb'), { force: true });
  const db = await Database.open(join(dir, 'reader.duckdb'));
  await ensurePcapTables(db);
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  try {
    const size = statSync(capture).size;
    const fresh = [{ file: capture, size, fingerprint: await fingerprint(capture, size) }];
    let scanning: ReturnType<typeof scanCapture> | undefined;
    let opened!: () => void;
    const open = new Promise<void>(r => { opened = r; });
    const merge = mergeByTime([{
      firstMicros: 0,
      read(push, pause) {
        const arena = new PacketArena();
        scanning = scanCapture(capture, {
          onData: pause,
          onPacket: (r, p) => push({ micros: r.micros, nanos: r.nanos, origlen: r.origlen, shard: addressShard(p, workers),
            data: arena.copy(r.bytes, r.dataOffset, r.dataOffset + r.caplen) }),
        });
        opened();
        return scanning.then(() => undefined);
      },
    }], { put: (_: MergedPacket) => true, drained: async () => undefined });
    await indexNewCaptures(db, { fresh, known: [], problems: [] }, { scan: async () => { await open; return scanning!; } });
    await merge;
  } finally {
    db.close();
  }
  const cpu = process.cpuUsage(cpu0);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpu: (cpu.user + cpu.system) / 1e6 };
}

async function main(): Promise<void> {
  const options = new Command('bench-analyze')
    .option('--size <size>', 'capture size', '512M')
    .option('--dir <dir>', 'where the capture and the databases go', join(tmpdir(), 'zeek-arrow-bench-analyze'))
    .option('--runs <n>', 'interleaved runs of each', '1')
    .parse().opts<{ size: string; dir: string; runs: string }>();
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

  const plain: Run[] = [];
  const one: Run[] = [];
  const two: Run[] = [];
  const reader: { seconds: number; cpu: number }[] = [];
  for (let i = 0; i < Number(options.runs); i++) {
    reader.push(await readerAlone(capture, options.dir, 2));
    console.log(`run ${i + 1}: reader alone ${reader[i].seconds.toFixed(1)} s`);
    const work = join(options.dir, 'run');
    for (const [list, args] of [
      [plain, [zeek.zeek, '-r', capture, 'policy/protocols/conn/community-id-logging']],
      [one, ['node', CLI, 'analyze', '--no-progress', '--quiet', '-C', '--workers', '1', capture, '--db', 'one.duckdb']],
      [two, ['node', CLI, 'analyze', '--no-progress', '--quiet', '-C', '--workers', '2', capture, '--db', 'two.duckdb']],
    ] as [Run[], string[]][]) {
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work);
      const [command, ...rest] = list === plain ? [args[0], '-C', ...args.slice(1)] : args;
      list.push(await measured(command, rest, work));
      console.log(`run ${i + 1}: ${args.slice(0, 8).join(' ')}: ${list[list.length - 1].seconds.toFixed(1)} s`);
    }
  }
  rmSync(join(options.dir, 'run'), { recursive: true, force: true });

  const wall = (runs: Run[]) => median(runs.map(r => r.seconds));
  const cpuOf = (runs: Run[], pick: (name: string) => boolean) =>
    median(runs.map(r => [...r.nodes].filter(([n]) => pick(n)).reduce((s, [, u]) => s + u.cpu, 0)));
  const plainCpu = cpuOf(plain, n => n === 'zeek');
  const workersCpu = cpuOf(two, n => n.startsWith('worker-'));
  console.log(`wall: --workers 1 ${wall(one).toFixed(1)} s, --workers 2 ${wall(two).toFixed(1)} s: ${(wall(one) / wall(two)).toFixed(2)}x (plain zeek -r ${wall(plain).toFixed(1)} s)`);
  console.log(`CPU per GB: 2 workers together ${(workersCpu / gb).toFixed(1)} s/GB, plain zeek -r ${(plainCpu / gb).toFixed(1)} s/GB: ${(workersCpu / plainCpu).toFixed(2)}x`);
  const r = { seconds: median(reader.map(x => x.seconds)), cpu: median(reader.map(x => x.cpu)) };
  const perWorker = mb / plainCpu;
  console.log(`reader alone (merge, decode, hash, shard, index): ${(mb / r.seconds).toFixed(0)} MB/s wall, ${(mb / r.cpu).toFixed(0)} MB/s per CPU second ` +
    `(its hash thread included); one Zeek worker takes ${perWorker.toFixed(1)} MB/s: the reader feeds ${Math.floor(mb / r.seconds / perWorker)} workers`);
  for (const [label, runs] of [['plain zeek -r', plain], ['--workers 1', one], ['--workers 2', two]] as [string, Run[]][]) {
    const last = runs[runs.length - 1];
    console.log(`peak memory ${label}: ${[...last.nodes].map(([n, u]) => `${n} ${(u.kib / 1024).toFixed(0)} MiB (${u.cpu.toFixed(1)} CPU s)`).join(', ')}`);
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
