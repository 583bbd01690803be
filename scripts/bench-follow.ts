// analyze --follow keeping up with a spool: a capture built from the corpus
// (scripts/build-big-capture.ts) cut into pieces, copied into a spool while a
// follow run analyzes them. For each worker count it prints:
// - the rate it keeps up with: every piece dropped in at once, MB of captures
//   analyzed per second until the last is committed, next to a one-shot
//   `analyze` of the same pieces with the same workers (the peer, same run);
// - the lag over time (seconds of capture time, MB waiting) with the pieces
//   arriving at a steady pace at 0.7x and at 1.5x that rate.
//
//   node dist/scripts/bench-follow.js [--size 64M] [--piece 4M] [--workers 1,2]
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { buildBigCapture, cutIntoPieces, parseSize } from './build-big-capture';

const CLI = join(__dirname, '..', '..', 'bin', 'zeek-arrow.js');
const STATUS = /^following: (\d+) captures analyzed \(([\d.]+) MB\); lag ([\d.]+) s of capture time, ([\d.]+) MB in (\d+) captures waiting$/;

interface Sample { seconds: number; analyzed: number; lagSeconds: number; waitingMB: number }

class FollowRun {
  readonly child: ChildProcess;
  readonly samples: Sample[] = [];
  warnings = 0;
  stdout = '';
  private text = '';
  private readonly began = Date.now();

  constructor(dir: string, workers: number) {
    mkdirSync(join(dir, 'spool'), { recursive: true });
    this.child = spawn('node', [CLI, 'analyze', '--follow', 'spool', '--db', 'follow.duckdb', '-C', '--workers', String(workers),
      '--settle', '0.2', '--status-every', '1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (t: string) => { this.stdout += t; });
    this.child.stderr!.setEncoding('utf8').on('data', (t: string) => {
      this.text += t;
      const lines = this.text.split('\n');
      this.text = lines.pop()!;
      for (const line of lines) {
        const m = STATUS.exec(line);
        if (m) this.samples.push({ seconds: (Date.now() - this.began) / 1000, analyzed: Number(m[1]), lagSeconds: Number(m[3]), waitingMB: Number(m[4]) });
        else if (line.startsWith('warning: falling behind')) this.warnings++;
        else if (line.startsWith('error')) process.stderr.write(`  follow: ${line}\n`);
      }
    });
  }

  /** Resolves once `n` captures are analyzed (from the status lines). */
  async analyzed(n: number): Promise<number> {
    while (!this.samples.length || this.samples[this.samples.length - 1].analyzed < n) await sleep(100);
    return Date.now();
  }

  /** Stops the run; returns what it says of its commits. */
  async stop(): Promise<string> {
    const exit = new Promise(r => this.child.once('close', r));
    this.child.kill('SIGTERM');
    await exit;
    return /\d+ commits held the database .*/.exec(this.stdout)?.[0] ?? 'no commits';
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function main(): Promise<void> {
  const o = new Command('bench-follow')
    .option('--size <size>', 'capture size (K, M, G)', '64M')
    .option('--piece <size>', 'piece size', '4M')
    .option('--workers <list>', 'worker counts', '1,2')
    .parse().opts<{ size: string; piece: string; workers: string }>();
  const root = mkdtempSync(join(tmpdir(), 'bench-follow-'));
  try {
    const big = join(root, 'big.pcap');
    await buildBigCapture(big, parseSize(o.size));
    mkdirSync(join(root, 'pieces'));
    const pieces = await cutIntoPieces(big, parseSize(o.piece), join(root, 'pieces'));
    rmSync(big);
    const total = pieces.reduce((n, p) => n + statSync(p).size, 0) / 1e6;
    process.stdout.write(`${pieces.length} pieces, ${total.toFixed(1)} MB (machine load: see DEVELOPERS.md; compare within this run only)\n`);

    for (const workers of o.workers.split(',').map(Number)) {
      // The peer: the same pieces analyzed at once.
      const peerDir = join(root, `once-${workers}`);
      mkdirSync(peerDir);
      const t0 = Date.now();
      const once = spawnSync('node', [CLI, 'analyze', '--no-progress', '-C', '--workers', String(workers), join(root, 'pieces'), '--db', join(peerDir, 'once.duckdb')], { encoding: 'utf8' });
      if (once.status !== 0) throw new Error(`analyze failed: ${once.stderr}`);
      const onceRate = total / ((Date.now() - t0) / 1000);
      rmSync(peerDir, { recursive: true, force: true });

      // Every piece at once: the rate the follow run keeps up with.
      const burstDir = join(root, `burst-${workers}`);
      const burst = new FollowRun(burstDir, workers);
      await sleep(1500);
      const t1 = Date.now();
      for (const p of pieces) copyFileSync(p, join(burstDir, 'spool', basename(p)));
      const t2 = await burst.analyzed(pieces.length);
      const commits = await burst.stop();
      rmSync(burstDir, { recursive: true, force: true });
      const rate = total / ((t2 - t1) / 1000);
      process.stdout.write(`workers ${workers}: keeps up with ${rate.toFixed(2)} MB/s of captures arriving; one-shot analyze ${onceRate.toFixed(2)} MB/s; ratio ${(rate / onceRate).toFixed(2)} (${commits})\n`);

      for (const factor of [0.7, 1.5]) {
        const dir = join(root, `paced-${workers}-${factor}`);
        const run = new FollowRun(dir, workers);
        await sleep(1500);
        const pace = (total / pieces.length) / (rate * factor) * 1000;
        for (const p of pieces) {
          copyFileSync(p, join(dir, 'spool', basename(p)));
          await sleep(pace);
        }
        const writing = run.samples.length;
        await run.analyzed(pieces.length);
        const held = await run.stop();
        rmSync(dir, { recursive: true, force: true });
        const series = run.samples.filter((_, i) => i % Math.max(1, Math.floor(run.samples.length / 12)) === 0)
          .map(s => `${s.seconds.toFixed(0)}s:${s.lagSeconds.toFixed(0)}s/${s.waitingMB.toFixed(1)}MB`).join(' ');
        const worst = Math.max(...run.samples.slice(0, writing).map(s => s.waitingMB));
        process.stdout.write(`  arriving at ${(rate * factor).toFixed(2)} MB/s (${factor}x): most waiting while writing ${worst.toFixed(1)} MB, ` +
          `'falling behind' warnings ${run.warnings}; ${held}\n  lag over time (wall s: capture-time s / MB waiting): ${series}\n`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch(e => { process.stderr.write(`bench-follow: ${(e as Error).message}\n`); process.exitCode = 1; });
