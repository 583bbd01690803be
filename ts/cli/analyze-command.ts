import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Database } from '../duckdb/database';
import { mergeLogs } from '../duckdb/merge-logs';
import { literal } from '../duckdb/sql-text';
import { listCaptureFiles } from '../pcap/capture-files';
import { isGzipCapture, readCapture } from '../pcap/capture-reader';
import { ensureConnPacketsView } from '../pcap/conn-packets';
import { PCAP } from '../pcap/index-tables';
import { IndexOptions, IndexSummary, NewCapture, indexNewCaptures, sortOutCaptures } from '../pcap/indexer';
import { formatCaptureProblem } from '../pcap/problems';
import { CaptureInfo, CaptureProblem } from '../pcap/types';
import { CaptureFeed } from '../zeek/capture-feed';
import { findZeek } from '../zeek/find-zeek';
import { pluginBuilt, pluginDir, startZeek } from '../zeek/zeek-process';
import { analyzeOnCluster } from './analyze-cluster';

export interface AnalyzeOptions {
  db: string;
  /** Zeek cluster workers; 1: one Zeek, as before clusters. */
  workers?: number;
  script?: string[];
  ignoreChecksums?: boolean;
  quiet?: boolean;
  progress?: boolean;
}

/** A new capture, its header and its first packet's time. */
export interface Start extends NewCapture { info: CaptureInfo; firstMicros: number }

/** A capture's header and first packet's time (a look at its start only). */
async function startOf(capture: NewCapture): Promise<Start> {
  let firstMicros = Infinity;
  const info = await readCapture(capture.file, r => { firstMicros = r.micros; }, { maxRecords: 1 });
  return { ...capture, info, firstMicros };
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
 * Zeek over the captures with every log into DuckDB through the Arrow writer,
 * and the packet index, in one DuckDB file where conn joins its packets at once.
 * Captures already analyzed are left alone; new pcaps are read once, the same
 * bytes going to Zeek and to the index.
 */
export async function analyzeCommand(paths: string[], options: AnalyzeOptions): Promise<void> {
  const zeek = findZeek();
  if (!zeek) throw new Error('no Zeek found (zeek-config on PATH, $ZEEK_HOME, or /opt/zeek): analyze runs Zeek');
  if (!pluginBuilt()) throw new Error(`the Zeek plugin is not built in ${pluginDir()}: run scripts/setup.sh`);
  const { files, unreadable } = await listCaptureFiles(paths);
  for (const message of unreadable) process.stderr.write(`zeek-arrow: ${message}\n`);

  const dbPath = resolve(options.db);
  const db = await Database.open(dbPath);
  const work = mkdtempSync(join(dirname(dbPath), '.zeek-arrow-analyze-'));
  const problems: CaptureProblem[] = [];
  const errors: string[] = [];
  try {
    const sorted = await sortOutCaptures(db, files);
    problems.push(...sorted.problems);
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
    starts.sort((a, b) => a.firstMicros - b.firstMicros || (a.file < b.file ? -1 : 1));
    // Each Zeek run writes its own database; only runs that succeed are added, so a failure leaves no half logs.
    let runs = 0;
    const nextLogs = () => join(work, `logs-${runs++}.duckdb`);
    const succeeded: { logs: string; fingerprints: string[]; captureIds: number[] }[] = [];
    const workers = options.workers ?? availableParallelism();
    const clustered = workers > 1 && starts.length > 0;
    const format = clustered
      ? `analyzing [{bar}] {percentage}% {value}/{total} MiB, {speed} MiB/s, slowest of ${workers} workers {backlog} MiB behind`
      : 'analyzing [{bar}] {percentage}% {value}/{total} MiB {file}';
    const bar = (options.progress ?? process.stderr.isTTY) && !options.quiet
      ? new SingleBar({ format, stream: process.stderr, hideCursor: true })
      : undefined;
    let summary: IndexSummary | undefined;
    const began = Date.now();
    let backlog = () => 0;
    const progress = (read: number, total: number, file: string) => {
      if (!bar) return;
      const speed = (read / 1048576 / Math.max(0.001, (Date.now() - began) / 1000)).toFixed(1);
      const more = { file, speed, backlog: (backlog() / 1048576).toFixed(1) };
      if (!bar.isActive) bar.start(Math.ceil(total / 1048576), 0, more);
      bar.update(Math.floor(read / 1048576), more);
    };

    // Already sorted out above: only the new captures, in the order Zeek reads them.
    const indexStarts = (o: IndexOptions) => indexNewCaptures(db, { fresh: starts, known: [], problems: [] }, o);
    if (clustered) {
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
          process.exitCode = 130;
          break;
        }
      }
      if (mixed.length && !process.exitCode) {
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
    bar?.stop();

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
    for (const p of problems) process.stderr.write(formatCaptureProblem(p) + '\n');
    for (const e of errors) process.stderr.write(`error: ${e}\n`);
    if (!options.quiet) {
      const rows = Object.entries(added).map(([log, n]) => `${log} ${n}`).join(', ');
      process.stdout.write(`analyzed ${analyzed} captures with Zeek ${zeek.version}: ${rows || 'no log rows'}; ` +
        `indexed ${summary?.captures ?? 0} (${summary?.packets ?? 0} packets, ${summary?.flows ?? 0} flows); ` +
        `${sorted.known.length - reanalyze.length} already analyzed\n`);
    }
    if (!process.exitCode && (unreadable.length || errors.length || problems.some(p => p.severity === 'error'))) process.exitCode = 1;

    async function runOne(file: string, which: { fingerprints: string[]; captureIds: number[] }): Promise<void> {
      const logs = nextLogs();
      // Zeek cannot read gzip: a gzipped capture reaches it decompressed on its stdin.
      const gzip = await isGzipCapture(file);
      const run = startZeek(zeek!, { capture: gzip ? '-' : resolve(file), db: logs, cwd: work, scripts: options.script, ignoreChecksums: options.ignoreChecksums });
      // A gzip stream that ends early is the index's problem to report; Zeek reads what came before it.
      if (gzip) pipeline(createReadStream(file), createGunzip(), run.stdin).catch(() => undefined);
      const result = await run.done;
      if (result.status === 0) succeeded.push({ logs, ...which });
      else errors.push(zeekFailure(file, result));
    }
  } finally {
    db.close();
    rmSync(work, { recursive: true, force: true });
  }
}
