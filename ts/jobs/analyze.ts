// analyze's run: which captures Zeek reads (new ones, and indexed ones never analyzed), in which order (their first
// packet's time), to which Zeek processes (one stream, a cluster per link type, one Zeek a capture, or a cluster
// across hosts), with which index; each run's logs merged into the database only when that run succeeded.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Database } from '../duckdb/database';
import { mergeLogs } from '../duckdb/merge-logs';
import { literal } from '../schema/sql-text';
import { listCaptureFiles } from '../pcap/capture-files';
import { ensureConnPacketsView } from '../pcap/conn-packets';
import { PCAP } from '../pcap/index-tables';
import { IndexOptions, IndexSummary, indexNewCaptures, sortOutCaptures } from '../pcap/indexer';
import { CaptureProblem } from '../pcap/types';
import { CaptureFeed } from '../zeek/capture-feed';
import { Zeek, findZeek } from '../zeek/find-zeek';
import { parseHostPort } from '../zeek/host-link';
import { pluginBuilt, pluginDir, startZeek, startZeekOnCapture } from '../zeek/zeek-process';
import { analyzeOnCluster } from './analyze-cluster';
import { WorkerHostRun, analyzeAsLoggerHost, analyzeAsWorkerHost, parseShard } from './analyze-hosts';
import { Start, byFirstPacket, startOf } from '../pcap/capture-start';
import { refuseChangedAnalyzed } from './grown-captures';

export interface AnalyzeOptions {
  db: string;
  /** Zeek cluster workers; 1: one Zeek, as before clusters. */
  workers?: number;
  script?: string[];
  ignoreChecksums?: boolean;
  quiet?: boolean;
  progress?: boolean;
  /** Logger host of a cluster across hosts: where it waits for the worker hosts (address:port). */
  listen?: string;
  /** Logger host: how many worker hosts join. */
  workerHosts?: number;
  /** Worker host: the logger host's --listen. */
  join?: string;
  /** Worker host: i/N, its share of the address pairs. */
  shard?: string;
  /** Seconds worker hosts may take to join (and a worker host to reach the logger host). */
  joinTimeout?: number;
  /** Follow spool directories until stopped (ts/spool/follow.ts); with its settle, replay and status seconds. */
  follow?: boolean;
  settle?: number;
  replay?: number;
  statusEvery?: number;
}

/** Seconds worker hosts may take to join by default. */
const JOIN_TIMEOUT = 120;

/** Progress in bytes of the captures read; `stop` once the reading is done. */
export interface RunProgress {
  update(read: number, total: number, file: string): void;
  stop(): void;
}

/** What the run tells its progress display when it starts: a cluster's workers, and how far the slowest is behind. */
export interface ProgressStart {
  /** Cluster workers, when the new captures go to a cluster on this machine. */
  workers?: number;
  /** Bytes the slowest worker is behind (0 without a cluster). */
  backlog: () => number;
}

export interface AnalyzeRun {
  /** Inputs that could not be listed, each a message naming the file. */
  unreadable: string[];
  problems: CaptureProblem[];
  /** Zeek runs that failed (their logs were not kept). */
  errors: string[];
  /** Log rows added, by log. */
  added: Record<string, number>;
  /** Captures Zeek analyzed in this run. */
  analyzed: number;
  summary?: IndexSummary;
  /** Captures analyzed by an earlier run, left alone. */
  alreadyAnalyzed: number;
  /** Stopped by SIGINT or SIGTERM. */
  interrupted: boolean;
}

/** The Zeek analyze runs, with the plugin built: a clear error when either is missing. */
export function zeekForAnalyze(): Zeek {
  const zeek = findZeek();
  if (!zeek) throw new Error('no Zeek found (zeek-config on PATH, $ZEEK_HOME, or /opt/zeek): analyze runs Zeek');
  if (!pluginBuilt()) throw new Error(`the Zeek plugin is not built in ${pluginDir()}: run scripts/setup.sh`);
  return zeek;
}

/** Captures by link type (in time order within each), and the pcapngs of several link types. */
function byLinkType(starts: Start[]): { groups: Start[][]; mixed: Start[] } {
  const groups = new Map<number, Start[]>();
  const mixed: Start[] = [];
  for (const s of starts) {
    const [linkType] = s.info.linkTypes;
    if (!s.info.linkTypes.every(t => t === linkType)) mixed.push(s);
    else if (groups.has(linkType)) groups.get(linkType)!.push(s);
    else groups.set(linkType, [s]);
  }
  return { groups: [...groups.values()], mixed };
}

function addSummary(to: IndexSummary, more: IndexSummary): void {
  to.captures += more.captures;
  to.packets += more.packets;
  to.flows += more.flows;
  to.bytes += more.bytes;
  to.problems.push(...more.problems);
}

/** Pcaps of one link type, byte order and time unit read as one stream: sessions that cross files stay whole. */
function oneStream(starts: Start[]): boolean {
  const [first] = starts;
  return starts.every(s => s.info.format === 'pcap' && s.info.littleEndian === first.info.littleEndian
    && s.info.nanosecond === first.info.nanosecond && s.info.linkTypes[0] === first.info.linkTypes[0]);
}

function zeekFailure(what: string, run: { status: number | null; signal: string | null; stderr: string }): string {
  const tail = run.stderr.trim().split('\n').slice(-5).join('\n  ');
  return `Zeek failed on ${what} (${run.signal ? `signal ${run.signal}` : `exit ${run.status}`})${tail ? `:\n  ${tail}` : ''}`;
}

/**
 * A worker host's run (--join, --shard), in a work directory of its own: its workers are fed its share of the
 * address pairs of the captures the logger host names, found among `paths` by content.
 */
export async function analyzeWorkerHost(zeek: Zeek, paths: string[], options: AnalyzeOptions):
  Promise<{ run: WorkerHostRun; unreadable: string[]; shard: number; of: number; workers: number }> {
  const { files, unreadable } = await listCaptureFiles(paths);
  const { shard, of } = parseShard(options.shard!);
  const workers = options.workers ?? availableParallelism();
  const work = mkdtempSync(join(tmpdir(), 'zeek-arrow-worker-host-'));
  try {
    const run = await analyzeAsWorkerHost(zeek, { work, files, join: parseHostPort(options.join!, '--join'), shard, hosts: of,
      workers, joinSeconds: options.joinTimeout ?? JOIN_TIMEOUT });
    return { run, unreadable, shard, of, workers };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Zeek over the captures with every log into DuckDB through the Arrow writer,
 * and the packet index, in one DuckDB file where conn joins its packets at once.
 * Captures already analyzed are left alone; new pcaps are read once, the same
 * bytes going to Zeek and to the index. `showProgress` opens the display of the reading.
 */
export async function analyzeCaptures(zeek: Zeek, paths: string[], options: AnalyzeOptions,
  showProgress: (start: ProgressStart) => RunProgress): Promise<AnalyzeRun> {
  const { files, unreadable } = await listCaptureFiles(paths);
  const dbPath = resolve(options.db);
  const db = await Database.open(dbPath);
  const work = mkdtempSync(join(dirname(dbPath), '.zeek-arrow-analyze-'));
  const problems: CaptureProblem[] = [];
  const errors: string[] = [];
  let interrupted = false;
  try {
    const sorted = await sortOutCaptures(db, files);
    problems.push(...sorted.problems, ...await refuseChangedAnalyzed(db, sorted));
    const reanalyze = sorted.known.filter(k => k.analyzedBy === null);
    const starts: Start[] = [];
    for (const capture of sorted.fresh) {
      try {
        starts.push(await startOf(capture));
      } catch (e) {
        problems.push({ file: capture.file, offset: 0, severity: 'error', message: (e as Error).message });
      }
    }
    // Zeek sees the captures in the order of their packets' times, whatever their names.
    starts.sort(byFirstPacket);
    // Each Zeek run writes its own database; only runs that succeed are added, so a failure leaves no half logs.
    let runs = 0;
    const nextLogs = () => join(work, `logs-${runs++}.duckdb`);
    const succeeded: { logs: string; fingerprints: string[]; captureIds: number[] }[] = [];
    const workers = options.workers ?? availableParallelism();
    const clustered = workers > 1 && starts.length > 0;
    let summary: IndexSummary | undefined;
    let backlog = () => 0;
    const bar = showProgress({ workers: clustered ? workers : undefined, backlog: () => backlog() });
    const progress = bar.update;

    // Already sorted out above: only the new captures, in the order Zeek reads them.
    const indexStarts = (o: IndexOptions) => indexNewCaptures(db, { fresh: starts, known: [], problems: [] }, o);
    if (options.listen) {
      const logs = nextLogs();
      const run = await analyzeAsLoggerHost(zeek, db, starts, {
        work, logs, options, listen: parseHostPort(options.listen, '--listen'), hosts: options.workerHosts!,
        joinSeconds: options.joinTimeout ?? JOIN_TIMEOUT, progress,
      });
      summary = run.summary;
      if (run.error) errors.push(run.error);
      else if (starts.length) succeeded.push({ logs, fingerprints: starts.map(s => s.fingerprint), captureIds: [] });
      if (run.interrupted) interrupted = true;
    } else if (clustered) {
      // A pcap stream has one link type: a cluster run per link type, and a pcapng of several is read by one Zeek.
      const { groups, mixed } = byLinkType(starts);
      summary = { captures: 0, skipped: 0, packets: 0, flows: 0, bytes: 0, problems: [] };
      for (const group of groups) {
        const logs = nextLogs();
        const run = await analyzeOnCluster(zeek, db, group, { work, workers, logs, options, progress, backlog: f => { backlog = f; } });
        addSummary(summary, run.summary);
        if (run.error) errors.push(run.error);
        else succeeded.push({ logs, fingerprints: group.map(s => s.fingerprint), captureIds: [] });
        if (run.interrupted) {
          interrupted = true;
          break;
        }
      }
      if (mixed.length && !interrupted) {
        for (const { file, fingerprint } of mixed) await runOne(file, { fingerprints: [fingerprint], captureIds: [] });
        addSummary(summary, await indexNewCaptures(db, { fresh: mixed, known: [], problems: [] }, { onProgress: progress }));
      }
    } else if (starts.length && oneStream(starts)) {
      const logs = nextLogs();
      const run = startZeek(zeek, { capture: '-', db: logs, cwd: work, scripts: options.script, ignoreChecksums: options.ignoreChecksums });
      const feed = new CaptureFeed(run.stdin);
      const littleEndian = starts[0].info.littleEndian;
      summary = await indexStarts({
        onData: (file, chunk) => feed.write(file, chunk, littleEndian),
        onProgress: progress,
      });
      await feed.end();
      const result = await run.done;
      if (result.status === 0) succeeded.push({ logs, fingerprints: starts.map(s => s.fingerprint), captureIds: [] });
      else errors.push(zeekFailure(`the stream of ${starts.length} captures`, result));
    } else if (starts.length) {
      // Link types, byte orders or formats differ: Zeek reads each capture on its own, then they are indexed.
      for (const { file, fingerprint } of starts) await runOne(file, { fingerprints: [fingerprint], captureIds: [] });
      summary = await indexStarts({ onProgress: progress });
    }
    // Captures indexed earlier (zeek-arrow index) but never analyzed: Zeek reads them now.
    for (const { file, captureId } of reanalyze) await runOne(file, { fingerprints: [], captureIds: [captureId] });
    bar.stop();

    const added: Record<string, number> = {};
    for (const run of succeeded) {
      // A Zeek that logged nothing (a capture without packets) made no database.
      const logged = existsSync(run.logs) ? await mergeLogs(db, run.logs) : {};
      for (const [log, n] of Object.entries(logged)) added[log] = (added[log] ?? 0) + n;
      const which = [...run.fingerprints.map(f => `fingerprint = ${literal(f)}`), ...run.captureIds.map(id => `capture_id = ${id}`)];
      await db.run(`UPDATE ${PCAP}.captures SET analyzed_by = ${literal(`Zeek ${zeek.version}`)} WHERE ${which.join(' OR ')}`);
    }
    const analyzed = succeeded.reduce((n, r) => n + r.fingerprints.length + r.captureIds.length, 0);
    await ensureConnPacketsView(db);
    problems.push(...(summary?.problems ?? []));
    return { unreadable, problems, errors, added, analyzed, summary, alreadyAnalyzed: sorted.known.length - reanalyze.length, interrupted };

    async function runOne(file: string, which: { fingerprints: string[]; captureIds: number[] }): Promise<void> {
      const logs = nextLogs();
      const run = await startZeekOnCapture(zeek, resolve(file), { db: logs, cwd: work, scripts: options.script, ignoreChecksums: options.ignoreChecksums });
      const result = await run.done;
      if (result.status === 0) succeeded.push({ logs, ...which });
      else errors.push(zeekFailure(file, result));
    }
  } finally {
    db.close();
    rmSync(work, { recursive: true, force: true });
  }
}
