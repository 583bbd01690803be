// analyze --follow: runs until stopped over spool directories that a recorder
// fills. Each complete capture is taken once, in the order of its packets'
// times, and fed to one running Zeek (Zeek's cluster with --workers N), so
// sessions cross files as in one capture; after each batch of captures a marker lets the batch's logs be
// taken, and one transaction adds them, the captures' index rows and their
// analyzed marks. The database is open only for that commit, so `sql` and
// `extract` read it in between. See README "Following a spool".
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Database } from '../duckdb/database';
import { literal } from '../schema/sql-text';
import { listCaptureFiles } from '../pcap/capture-files';
import { readCapture } from '../pcap/capture-reader';
import { ensureConnPacketsView } from '../pcap/conn-packets';
import { ContentHasher } from '../pcap/content-hash';
import { PCAP } from '../pcap/index-tables';
import { sortOutCaptures } from '../pcap/indexer';
import { formatCaptureProblem } from '../pcap/problems';
import { ScannedCapture, scanCapture } from '../pcap/scan-capture';
import { addCapture } from '../pcap/store-capture';
import { Zeek } from '../zeek/find-zeek';
import { startZeekOnCapture } from '../zeek/zeek-process';
import { Start, startOf } from '../pcap/capture-start';
import { MARKER_LINK_TYPES, StreamFormat } from './follow-zeek';
import { FollowStream, StreamRanges, startStream as startZeeks } from './follow-stream';
import { openWhenFree } from '../duckdb/open-when-free';
import { ensureFollowTables, markGone, recordEnd, recordFollowed, replayPlan, streamTime } from './follow-state';
import { LagMeter } from './lag';
import { SpoolWatch } from './spool-watch';
import { ZeekLogs } from './zeek-logs';

export interface FollowOptions {
  db: string;
  /** Zeeks fed by address pair (1: one Zeek reads the captures' bytes as they are). */
  workers?: number;
  script?: string[];
  ignoreChecksums?: boolean;
  /** How long a capture's size and mtime must stay put before it is taken (ms). */
  settleMs?: number;
  /** How often the spool is looked at (ms). */
  pollMs?: number;
  /** Capture time fed again after a restart, before where the stream stopped (µs). */
  replayMicros?: number;
  /** Bytes of captures per batch at most (a capture bigger than this is a batch of its own). */
  batchBytes?: number;
  /** How often a status line is given (ms). */
  statusMs?: number;
  /** Status lines and messages (problems, warnings). */
  report?: (line: string) => void;
  /** Stops the run: the batch under way is not committed (a restart feeds it again). */
  signal?: AbortSignal;
}

export interface FollowSummary {
  captures: number;
  rows: Record<string, number>;
  errors: number;
  /** Where each commit's time went; it held the database (readers wait that long at most) for workMs + closeMs. */
  commitParts: CommitParts[];
}

export interface CommitParts { openMs: number; workMs: number; closeMs: number; cpuMs: number }

interface Taken { start: Start; scanned: ScannedCapture; sha256: string }

/** Why a capture does not fit the running Zeek's stream (a pcap of its format whose packets do not go back before the stream's), if it does not. */
function misfit(s: Start, format: StreamFormat | undefined, streamMicros: number): string | undefined {
  const [linkType] = s.info.linkTypes;
  if (s.info.format !== 'pcap') return `it is a ${s.info.format} capture, the stream is pcap`;
  // The marker that ends a batch is an Ethernet frame.
  if (!MARKER_LINK_TYPES.has(linkType)) return `its link type (${linkType}) is not the stream's (Ethernet)`;
  if (s.firstMicros < streamMicros) return "its packets go back before the stream's";
  if (format && (format.linkType !== linkType || format.littleEndian !== s.info.littleEndian || format.nanosecond !== s.info.nanosecond)) {
    return "its pcap format (byte order, time resolution) is not the stream's";
  }
  return undefined;
}

/** Work directories of follow runs whose process is gone (killed): what their Zeek wrote was never committed. */
function removeStaleWork(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /^\.zeek-arrow-follow-(\d+)$/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
}

export async function followSpool(zeek: Zeek, dirs: string[], options: FollowOptions): Promise<FollowSummary> {
  const report = options.report ?? (line => process.stderr.write(line + '\n'));
  const signal = options.signal;
  const dbPath = resolve(options.db);
  const spool = dirs.map(d => resolve(d));
  removeStaleWork(dirname(dbPath));
  const work = join(dirname(dbPath), `.zeek-arrow-follow-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const watch = new SpoolWatch(spool, options.settleMs ?? 5000);
  const hasher = new ContentHasher(1);
  const lag = new LagMeter();
  const summary: FollowSummary = { captures: 0, rows: {}, errors: 0, commitParts: [] };
  const batchBytes = options.batchBytes ?? 64 << 20;
  let stream: FollowStream | undefined;
  let streamMicros = -Infinity;
  let own = 0;
  let pending: Start[] = [];
  /** The first packet's time of the newest complete capture taken. */
  let newestSeen = -Infinity;
  let status: NodeJS.Timeout | undefined;
  let looking = false;
  /** Captures of the spool analyzed (or known before): the rest is waiting. */
  const analyzed = new Set<string>();
  /** Where the stream stopped last time, and the captures to feed again: used when the stream's Zeek starts. */
  let plan: Awaited<ReturnType<typeof replayPlan>>;

  /** Where the last withDb()'s time went: opening (a replay of DuckDB's WAL, any wait for a reader), the work, closing; CPU ms of this process. */
  let parts: CommitParts = { openMs: 0, workMs: 0, closeMs: 0, cpuMs: 0 };
  const withDb = async <T>(work: (db: Database) => Promise<T>): Promise<T> => {
    const cpu = process.cpuUsage();
    const asked = Date.now();
    const db = await openWhenFree(dbPath);
    const opened = Date.now();
    let worked = opened;
    try {
      // Each close checkpoints: DuckDB 1.5 closed without one (PRAGMA disable_checkpoint_on_shutdown) leaves a WAL whose
      // replay breaks the index lookups of flow_packets and conn (extract found no packets), and a read-only open fails on it.
      const result = await work(db);
      worked = Date.now();
      return result;
    } finally {
      db.close();
      const closed = Date.now();
      const used = process.cpuUsage(cpu);
      parts = { openMs: opened - asked, workMs: worked - opened, closeMs: closed - worked, cpuMs: (used.user + used.system) / 1000 };
    }
  };
  const problem = (file: string, message: string) => {
    // A recorder's rotation may delete a capture before its turn came: no error of the capture's.
    if (!existsSync(file)) return report(`${file}: deleted from the spool before it was analyzed`);
    summary.errors++;
    report(`error: ${file}: ${message}`);
  };

  try {
    plan = await withDb(async db => {
      await ensureFollowTables(db);
      const gone = await markGone(db, spool);
      for (const g of gone) report(`${g}: no longer in the spool: its logs are kept, its index rows are marked gone`);
      // A capture older than the stream's newest packet, also of an earlier run, is analyzed on its own.
      streamMicros = await streamTime(db);
      return replayPlan(db, options.replayMicros ?? 600e6);
    });

    for (const r of await withDb(db => db.all(`SELECT path FROM ${PCAP}.captures`))) analyzed.add(String(r.path));
    // The status line comes on a timer of its own, also while a batch is under way.
    status = setInterval(() => {
      if (looking) return;
      looking = true;
      waitingInSpool().then(({ bytes, captures }) => {
        lag.waiting(bytes, captures);
        const line = lag.status(summary.captures);
        report(line.status);
        if (line.warning) report(line.warning);
      }, () => undefined).finally(() => { looking = false; });
    }, options.statusMs ?? 10_000);

    while (!signal?.aborted) {
      const { complete, unreadable } = await watch.look();
      for (const u of unreadable) report(`zeek-arrow: ${u}`);
      if (complete.length || watch.vanished()) {
        const sorted = await withDb(async db => {
          const gone = await markGone(db, spool);
          for (const g of gone) report(`${g}: no longer in the spool: its logs are kept, its index rows are marked gone`);
          return sortOutCaptures(db, complete);
        });
        for (const p of sorted.problems) { summary.errors++; report(formatCaptureProblem(p)); }
        for (const k of sorted.known) if (k.analyzedBy === null) report(`${k.file}: indexed before but not analyzed: 'zeek-arrow analyze' it`);
        for (const capture of sorted.fresh) {
          try {
            pending.push(await startOf(capture));
          } catch (e) {
            problem(capture.file, (e as Error).message);
          }
        }
        pending.sort((a, b) => a.firstMicros - b.firstMicros || (a.file < b.file ? -1 : 1));
      }
      // Set between batches, it holds while the next batch is under way.
      for (const s of pending) newestSeen = Math.max(newestSeen, s.firstMicros);
      lag.newest(pending.length ? newestSeen : undefined);
      if (!pending.length) {
        await sleep(options.pollMs ?? 1000, signal);
        continue;
      }
      // Captures that go back before the stream's time, or of another format, are each analyzed by a Zeek of their own.
      const format = stream?.format;
      const next = pending[0];
      const reason = misfit(next, format, streamMicros);
      if (reason) {
        pending.shift();
        await analyzeOnItsOwn(next, reason);
        continue;
      }
      const batch: Start[] = [];
      let bytes = 0;
      while (pending.length && !misfit(pending[0], format ?? formatOf(next), streamMicros) && (!batch.length || bytes + pending[0].size <= batchBytes)) {
        const s = pending.shift()!;
        batch.push(s);
        bytes += s.size;
      }
      stream ??= await startStream(formatOf(next));
      await analyzeInStream(stream, batch);
    }
    // Stopped between batches: Zeek ends its trace, and what it logs at its end is committed with the clean stop.
    if (stream) {
      await stream.end();
      const ending = stream;
      stream = undefined;
      await commit([], ending.wholeFiles(), null, ending.markerMicros);
    }
  } finally {
    clearInterval(status);
    await stream?.stop();
    await hasher.close();
    rmSync(work, { recursive: true, force: true });
  }
  return summary;

  /** Bytes and number of the capture files in the spool not analyzed yet (also those still being written). */
  async function waitingInSpool(): Promise<{ bytes: number; captures: number }> {
    const { files } = await listCaptureFiles(spool);
    let bytes = 0;
    let captures = 0;
    for (const f of files) {
      if (analyzed.has(f)) continue;
      const size = await stat(f).then(s => s.size, () => 0);
      bytes += size;
      captures++;
    }
    return { bytes, captures };
  }

  function formatOf(s: Start): StreamFormat {
    return { linkType: s.info.linkTypes[0], littleEndian: s.info.littleEndian, nanosecond: s.info.nanosecond };
  }

  /** Starts the Zeek; after a restart, feeds it the stream's last captures again and leaves their logs out. */
  async function startStream(format: StreamFormat): Promise<FollowStream> {
    const zk = await startZeeks(zeek, join(work, 'stream'), format, options.workers ?? 1, { scripts: options.script, ignoreChecksums: options.ignoreChecksums });
    const replay = plan;
    plan = undefined;
    if (replay && replay.captures.length) {
      let replayed = 0;
      for (const r of replay.captures) {
        const info = await readCapture(r.file, () => undefined, { maxRecords: 1 }).catch(() => undefined);
        if (!info || info.format !== 'pcap' || info.linkTypes[0] !== format.linkType || info.littleEndian !== format.littleEndian
          || info.nanosecond !== format.nanosecond) continue;
        await scanCapture(r.file, zk.feeding(r.file));
        replayed++;
      }
      await zk.mark(replay.markerMicros);
      for (const { logs, ranges } of await zk.caughtUp(signal)) logs.take(ranges);
      report(`restarted: ${replayed} capture${replayed === 1 ? '' : 's'} fed to Zeek again up to where it stopped (their logs were kept before)`);
    }
    return zk;
  }

  async function analyzeInStream(zk: FollowStream, batch: Start[]): Promise<void> {
    const taken: Taken[] = [];
    for (const s of batch) {
      const hashing = hasher.hashFile(s.file);
      hashing.catch(() => undefined);
      try {
        const scanned = await scanCapture(s.file, zk.feeding(s.file));
        taken.push({ start: s, scanned, sha256: await hashing });
        streamMicros = Math.max(streamMicros, scanned.lastMicros);
      } catch (e) {
        problem(s.file, (e as Error).message);
      }
    }
    // A stop waits for the batch under way: it is committed whole.
    const at = await zk.mark(streamMicros);
    const ranges = await zk.caughtUp();
    await commit(taken, ranges, at);
    for (const { logs, ranges: r } of ranges) logs.take(r);
  }

  async function analyzeOnItsOwn(s: Start, reason: string): Promise<void> {
    const cwd = join(work, `own-${own++}`);
    const logs = new ZeekLogs(cwd, join(cwd, 'logs'));
    mkdirSync(logs.dir, { recursive: true });
    const run = await startZeekOnCapture(zeek, s.file, {
      db: join(cwd, 'unused.duckdb'), cwd, ignoreChecksums: options.ignoreChecksums,
      scripts: [...options.script ?? [], 'LogArrow::sink=module', `LogArrow::writer_module=${join(__dirname, 'follow-writer.js')}`,
        `LogArrow::output_dir=${logs.dir}`],
    });
    const hashing = hasher.hashFile(s.file);
    hashing.catch(() => undefined);
    try {
      const scanned = await scanCapture(s.file);
      const result = await run.done;
      if (result.status !== 0) throw new Error(`Zeek failed (${result.signal ?? `exit ${result.status}`}): ${result.stderr.trim().split('\n').slice(-3).join(' / ')}`);
      await commit([{ start: s, scanned, sha256: await hashing }], [{ logs, ranges: logs.wholeFiles() }], null);
      report(`${s.file}: ${reason}: analyzed by a Zeek of its own`);
    } catch (e) {
      problem(s.file, (e as Error).message);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }

  /** One transaction: the captures' index rows, the logs' rows of the batch, the analyzed marks. */
  async function commit(taken: Taken[], ranges: StreamRanges, markerMicros: number | null, endedAt?: number): Promise<void> {
    const added = await withDb(async db => {
      const rows = await db.transaction(async () => {
        for (const { start, scanned, sha256 } of taken) {
          await addCapture(db, { file: start.file, size: start.size, fingerprint: start.fingerprint, sha256, scanned, supersedes: start.supersedes });
        }
        const appended: Record<string, number> = {};
        for (const { logs, ranges: r } of ranges) {
          for (const [log, n] of Object.entries(await logs.append(db, r))) appended[log] = (appended[log] ?? 0) + n;
        }
        const prints = taken.map(t => t.start.fingerprint);
        if (prints.length) {
          await db.run(`UPDATE ${PCAP}.captures SET analyzed_by = ${literal(`Zeek ${zeek.version}`)} WHERE fingerprint IN (${prints.map(literal).join(', ')})`);
        }
        await recordFollowed(db, prints, markerMicros);
        if (endedAt !== undefined) await recordEnd(db, endedAt);
        return appended;
      });
      await ensureConnPacketsView(db);
      return rows;
    });
    summary.commitParts.push(parts);
    summary.captures += taken.length;
    for (const [log, n] of Object.entries(added)) summary.rows[log] = (summary.rows[log] ?? 0) + n;
    for (const t of taken) {
      lag.analyzed(t.start.size, t.scanned.lastMicros);
      analyzed.add(resolve(t.start.file));
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
