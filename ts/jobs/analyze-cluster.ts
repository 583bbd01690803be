// analyze on Zeek's cluster: the new captures read once, merged by packet time,
// each packet sent to a worker by its address pair, the packets indexed in the
// same pass; a logger writes every log into one DuckDB file, kept only when
// the whole cluster succeeds.
import { Database } from '../duckdb/database';
import { mark } from '../common/run-timeline';
import { literal } from '../schema/sql-text';
import { addressShard } from '../pcap/address-shard';
import { MergeSource, mergeByTime } from '../pcap/capture-merge';
import { PCAP } from '../pcap/index-tables';
import { IndexSummary, NewCapture, indexNewCaptures } from '../pcap/indexer';
import { IndexThreads } from '../pcap/index-beside';
import { ScanOptions, ScannedCapture, decodeCapture } from '../pcap/scan-capture';
import { ChunkSender } from '../pcap/shared-chunks';
import { DecodedPacket } from '../pcap/types';
import { Zeek } from '../zeek/find-zeek';
import { ShardFeed } from '../zeek/shard-feed';
import { ZeekCluster } from '../zeek/zeek-cluster';
import type { AnalyzeOptions } from './analyze';
import type { Start } from '../pcap/capture-start';

export interface ClusterRun {
  summary: IndexSummary;
  /** Why the run failed (then its logs are not kept). */
  error?: string;
  /** Stopped by SIGINT or SIGTERM. */
  interrupted?: boolean;
}

interface Settings {
  work: string;
  workers: number;
  /** The run's own DuckDB file, which the logger writes. */
  logs: string;
  options: AnalyzeOptions;
  progress: (read: number, total: number, file: string) => void;
  /** Gives the caller a way to ask for the slowest worker's backlog in bytes. */
  backlog: (get: () => number) => void;
}

/** Runs the cluster over `starts` (sorted by first packet time) and indexes them into `db`. */
export async function analyzeOnCluster(zeek: Zeek, db: Database, starts: Start[], s: Settings): Promise<ClusterRun> {
  const stop = new AbortController();
  const release = stopOnSignals(stop);

  // Each capture is indexed when the merge opens it, on a thread of its own from the chunks the merge's read shares;
  // the indexer waits for it in its own order.
  const threads = new IndexThreads();
  const scans = new Map<string, { onProgress?: (bytes: number) => void; resolve: (p: Promise<ScannedCapture>) => void; reject: (e: Error) => void; settled: boolean }>();
  const scanned = new Map<string, Promise<ScannedCapture>>();
  for (const { file } of starts) {
    scanned.set(file, new Promise<ScannedCapture>((resolve, reject) => {
      scans.set(file, { resolve, reject, settled: false });
    }));
  }
  const sources = shardedSources(starts, packet => addressShard(packet, s.workers), ({ file, info }) => {
    const entry = scans.get(file)!;
    const { share, scanned: scanning } = threads.index(file, info.gzip);
    entry.settled = true;
    entry.resolve(scanning);
    return { share, onProgress: entry.onProgress };
  });
  const scan = (capture: NewCapture, onProgress: (bytes: number) => void) => {
    scans.get(capture.file)!.onProgress = onProgress;
    return scanned.get(capture.file)!;
  };

  let cluster: ZeekCluster | undefined;
  let feed: ShardFeed | undefined;
  let indexing: Promise<IndexSummary> | undefined;
  try {
    cluster = await ZeekCluster.start(zeek, {
      work: s.work, workers: s.workers, db: s.logs, scripts: s.options.script, ignoreChecksums: s.options.ignoreChecksums,
    });
    mark('nodes started');
    const sink = feed = new ShardFeed(cluster.workerInputs, starts[0].info.linkTypes[0]);
    s.backlog(() => sink.backlog);
    indexing = indexNewCaptures(db, { fresh: starts, known: [], problems: [] }, { scan, onProgress: s.progress });
    indexing.catch(() => undefined);
    await Promise.race([mergeByTime(sources, feed, stop.signal), cluster.failed, aborted(stop.signal)]);
    mark('captures read');
    await Promise.race([feed.end(), cluster.failed, aborted(stop.signal)]);
    mark('workers fed');
    await Promise.race([cluster.finish(), aborted(stop.signal)]);
    return { summary: await indexing };
  } catch (e) {
    const error = (e as Error).message;
    if (!stop.signal.aborted) stop.abort(e);
    for (const entry of scans.values()) if (!entry.settled) entry.reject(new Error(`not read: ${error}`));
    await cluster?.stop();
    const none: IndexSummary = { captures: 0, skipped: 0, packets: 0, flows: 0, bytes: 0, problems: [] };
    const summary = indexing ? await indexing.catch(() => none) : none;
    const interrupted = !!(e as { interrupted?: boolean }).interrupted;
    // Nothing of a failed run stays: not its logs, nor the index rows of its captures (the next run reads them again).
    await forgetCaptures(db, starts.map(st => st.fingerprint));
    // The captures the stop cut short are no problems of their own.
    const problems = summary.problems.filter(p => p.message !== error && !p.message.startsWith('not read: '));
    return { summary: { ...summary, captures: 0, packets: 0, flows: 0, problems }, error: `${interrupted ? '' : 'the Zeek cluster failed: '}${error}; nothing of this run was kept`, interrupted };
  } finally {
    release();
    await Promise.all([threads.close(), feed?.close()]);
  }
}

/**
 * The captures as sources of the merge, each read (its packets decoded) when the merge opens it: `shardOf` gives
 * the local worker of each packet, or -1 for a packet of another host (not sent). `opened` is told when one opens
 * and may give the read a ChunkSender (its index thread's) and a progress callback; without it, packets are only
 * decoded (a worker host: the logger host indexes).
 */
export function shardedSources(starts: Start[], shardOf: (packet: DecodedPacket) => number,
  opened?: (capture: Start) => { share?: ChunkSender; onProgress?: (bytes: number) => void }): MergeSource[] {
  return starts.map(start => ({
    firstMicros: start.firstMicros,
    read(push, pause) {
      const feeding: ScanOptions = {
        onData: pause,
        onPacket: (r, packet) => {
          const shard = shardOf(packet);
          if (shard < 0) return;
          push(r.bytes, r.dataOffset, r.dataOffset + r.caplen, r.micros, r.nanos, r.origlen, shard);
        },
      };
      const { share, onProgress } = opened?.(start) ?? {};
      return decodeCapture(start.file, { ...feeding, shareWith: share, onProgress }).then(() => undefined);
    },
  }));
}

/** On SIGINT, SIGTERM or SIGHUP (the terminal gone: the nodes, in sessions of their own, would not hear it), aborts
 * `stop` with an interruption; returns what takes the handlers off again. */
export function stopOnSignals(stop: AbortController): () => void {
  const interrupt = (signal: NodeJS.Signals) => stop.abort(Object.assign(new Error(`interrupted by ${signal}`), { interrupted: true }));
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.once(signal, interrupt);
  return () => {
    for (const signal of signals) process.off(signal, interrupt);
  };
}

/** Rejects when `signal` aborts, with its reason. */
export function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason));
  });
}

/** Takes the index rows of the captures of a failed run out again (the next run reads them again). */
export async function forgetCaptures(db: Database, fingerprints: string[]): Promise<void> {
  if (!fingerprints.length) return;
  const which = `SELECT capture_id FROM ${PCAP}.captures WHERE fingerprint IN (${fingerprints.map(literal).join(', ')})`;
  await db.run(`DELETE FROM ${PCAP}.flow_packets WHERE capture_id IN (${which})`);
  await db.run(`DELETE FROM ${PCAP}.captures WHERE capture_id IN (${which})`);
}
