// The analyze command: its options checked, the run (ts/jobs/analyze.ts, across hosts, --follow's) started, what it
// did printed.
import { formatCaptureProblem } from '../pcap/problems';
import { parseHostPort } from '../zeek/host-link';
import { AnalyzeOptions, ProgressStart, analyzeCaptures, analyzeWorkerHost, zeekForAnalyze } from '../jobs/analyze';
import { parseShard } from '../jobs/analyze-hosts';
import type { CommitParts } from '../spool/follow';
import { progressBar } from './progress-bar';

/** The options of a cluster across hosts go together (--listen with --worker-hosts, --join with --shard) and read right. */
function checkHostOptions(o: AnalyzeOptions): void {
  if (o.listen && o.join) throw new Error('--listen (the logger host) and --join (a worker host) are for different hosts');
  if (o.follow && (o.listen || o.join)) throw new Error('--follow runs on one host: it does not take --listen or --join');
  if (!o.follow && (o.settle !== undefined || o.replay !== undefined || o.statusEvery !== undefined)) {
    throw new Error('--settle, --replay and --status-every go with --follow');
  }
  if (!!o.listen !== (o.workerHosts !== undefined)) throw new Error('--listen and --worker-hosts go together (the logger host)');
  if (!!o.join !== (o.shard !== undefined)) throw new Error('--join and --shard go together (a worker host)');
  if (o.listen && o.workers !== undefined) throw new Error('--workers is given on each worker host: the logger host runs none');
  if (o.join && o.db !== undefined) throw new Error('--db is given on the logger host only: it writes the one database');
  if (!o.join && o.db === undefined) throw new Error("required option '--db <file>' not specified");
  if (o.joinTimeout !== undefined && !o.listen && !o.join) throw new Error('--join-timeout is for a cluster across hosts (--listen or --join)');
  if (o.listen) parseHostPort(o.listen, '--listen');
  if (o.join) parseHostPort(o.join, '--join');
  if (o.shard) parseShard(o.shard);
}

/** The bar of the captures read: a cluster's shows its speed and how far the slowest worker is behind. */
function analyzeBar(options: AnalyzeOptions, start: ProgressStart) {
  const format = start.workers
    ? `analyzing [{bar}] {percentage}% {value}/{total} MiB, {speed} MiB/s, slowest of ${start.workers} workers {backlog} MiB behind`
    : 'analyzing [{bar}] {percentage}% {value}/{total} MiB {file}';
  const began = Date.now();
  return progressBar(format, options, read => ({
    speed: (read / 1048576 / Math.max(0.001, (Date.now() - began) / 1000)).toFixed(1),
    backlog: (start.backlog() / 1048576).toFixed(1),
  }));
}

export async function analyzeCommand(paths: string[], options: AnalyzeOptions): Promise<void> {
  checkHostOptions(options);
  const zeek = zeekForAnalyze();
  if (options.follow) {
    // The spool's modules load only for --follow.
    const { analyzeFollow } = require('../jobs/analyze-follow') as typeof import('../jobs/analyze-follow');
    const report = options.quiet ? (line: string) => { if (/^(error|warning)/.test(line)) process.stderr.write(line + '\n'); } : undefined;
    const { summary, interrupted } = await analyzeFollow(zeek, paths, options, report);
    if (!options.quiet) {
      const rows = Object.entries(summary.rows).map(([log, n]) => `${log} ${n}`).join(', ');
      const heldMs = summary.commitParts.map(p => p.workMs + p.closeMs);
      const held = heldMs.length ? `; ${heldMs.length} commits held the database ${Math.max(...heldMs)} ms at most, ` +
        `${Math.round(heldMs.reduce((a, b) => a + b, 0) / heldMs.length)} ms on average (${commitParts(summary.commitParts)})` : '';
      process.stdout.write(`stopped: analyzed ${summary.captures} captures with Zeek ${zeek.version}: ${rows || 'no log rows'}${held}\n`);
    }
    process.exitCode = interrupted ? 130 : summary.errors ? 1 : 0;
    return;
  }
  if (options.join) {
    const { run, unreadable, shard, of, workers } = await analyzeWorkerHost(zeek, paths, options);
    for (const message of unreadable) process.stderr.write(`zeek-arrow: ${message}\n`);
    if (run.error) process.stderr.write(`error: ${run.error}\n`);
    else if (!options.quiet) {
      process.stdout.write(`worker host ${shard}/${of}: sent ${run.packets} packets (${run.bytes} bytes) of ${run.captures} captures ` +
        `to ${workers} workers\n`);
    }
    process.exitCode = run.interrupted ? 130 : run.error || unreadable.length ? 1 : 0;
    return;
  }
  const run = await analyzeCaptures(zeek, paths, options, start => analyzeBar(options, start));
  for (const message of run.unreadable) process.stderr.write(`zeek-arrow: ${message}\n`);
  for (const p of run.problems) process.stderr.write(formatCaptureProblem(p) + '\n');
  for (const e of run.errors) process.stderr.write(`error: ${e}\n`);
  if (!options.quiet) {
    const rows = Object.entries(run.added).map(([log, n]) => `${log} ${n}`).join(', ');
    const { summary } = run;
    process.stdout.write(`analyzed ${run.analyzed} captures with Zeek ${zeek.version}: ${rows || 'no log rows'}; ` +
      `indexed ${summary?.captures ?? 0} (${summary?.packets ?? 0} packets, ${summary?.flows ?? 0} flows); ` +
      `${run.alreadyAnalyzed} already analyzed\n`);
  }
  if (run.interrupted) process.exitCode = 130;
  else if (!process.exitCode && (run.unreadable.length || run.errors.length || run.problems.some(p => p.severity === 'error'))) process.exitCode = 1;
}

/** Where the commits' time went, on average: opening the database, the transaction, closing it; and this process's CPU. */
function commitParts(parts: CommitParts[]): string {
  const mean = (key: keyof CommitParts) => Math.round(parts.reduce((n, p) => n + p[key], 0) / parts.length);
  return `open ${mean('openMs')} ms, rows ${mean('workMs')} ms, close ${mean('closeMs')} ms, CPU ${mean('cpuMs')} ms`;
}
