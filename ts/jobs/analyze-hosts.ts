// One Zeek cluster spread over hosts. The logger host runs manager, logger and
// proxy, writes the one DuckDB file, and reads the captures once itself for the
// packet index and the content hashes. Each worker host reads the same captures
// (a shared store, found by content) and sends its workers only the packets whose
// address-pair hash falls in its shard i of N, so a conn never splits across hosts.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Database } from '../duckdb/database';
import { hostShard } from '../pcap/address-shard';
import { mergeByTime } from '../pcap/capture-merge';
import { fingerprint } from '../pcap/fingerprint';
import { IndexSummary, indexNewCaptures } from '../pcap/indexer';
import { CENTRAL_NODES, ClusterLayout, hostWorkerName } from '../zeek/cluster-layout';
import { Zeek } from '../zeek/find-zeek';
import { LoggerLink, RunCapture, WorkerHosts } from '../zeek/host-link';
import { ShardFeed } from '../zeek/shard-feed';
import { ZeekCluster } from '../zeek/zeek-cluster';
import type { AnalyzeOptions } from './analyze';
import { ClusterRun, aborted, forgetCaptures, shardedSources, stopOnSignals } from './analyze-cluster';
import { Start, startOf } from '../pcap/capture-start';

/** Ports after the one the logger host listens on for worker hosts: ZeroMQ's XPUB, XSUB, and the logger's logs. */
function clusterPorts(port: number): ClusterLayout['ports'] {
  return { xpub: port + 1, xsub: port + 2, logs: port + 3 };
}

/** `i/N` of --shard. */
export function parseShard(text: string): { shard: number; of: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const shard = m ? Number(m[1]) : NaN;
  const of = m ? Number(m[2]) : NaN;
  if (!m || !(shard >= 1 && shard <= of)) throw new Error(`--shard takes i/N with 1 <= i <= N (say 2/4), not ${JSON.stringify(text)}`);
  return { shard, of };
}

interface LoggerHostSettings {
  work: string;
  /** The run's own DuckDB file, which the logger writes. */
  logs: string;
  options: AnalyzeOptions;
  listen: { host: string; port: number };
  hosts: number;
  /** How long worker hosts may take to join, or be silent. */
  joinSeconds: number;
  progress: (read: number, total: number, file: string) => void;
}

/**
 * The logger host's run over `starts` (of one link type, sorted by first packet time): waits for the worker hosts,
 * starts manager, logger and proxy, indexes the captures into `db` while the workers read them, and ends once
 * every host's workers are done and the logger has their last log writes.
 */
export async function analyzeAsLoggerHost(zeek: Zeek, db: Database, starts: Start[], s: LoggerHostSettings): Promise<ClusterRun> {
  const stop = new AbortController();
  const release = stopOnSignals(stop);
  let hosts: WorkerHosts | undefined;
  let cluster: ZeekCluster | undefined;
  let indexing: Promise<IndexSummary> | undefined;
  const none: IndexSummary = { captures: 0, skipped: 0, packets: 0, flows: 0, bytes: 0, problems: [] };
  try {
    hosts = await WorkerHosts.listen(s.listen.host, s.listen.port, s.hosts, s.joinSeconds);
    const joined = await hosts.join(s.joinSeconds, stop.signal);
    const layout: ClusterLayout = {
      host: s.listen.host,
      workers: joined.flatMap(h => Array.from({ length: h.workers }, (_, k) => ({ name: hostWorkerName(h.shard, k), host: h.address }))),
      ports: clusterPorts(s.listen.port),
    };
    // One pcap stream per worker has one link type (one machine runs a cluster per link type; across hosts, one run each).
    const other = starts.find(st => st.info.linkTypes.some(t => t !== starts[0].info.linkTypes[0]));
    if (other) {
      throw new Error(`a run across hosts reads captures of one link type: ${starts[0].file} has link type ${starts[0].info.linkTypes[0]}, ` +
        `${other.file} ${other.info.linkTypes.join(', ')}; analyze each link type in a run of its own`);
    }
    const failed = () => Promise.race([hosts!.failed, aborted(stop.signal), ...cluster ? [cluster.failed] : []]);
    if (starts.length) {
      cluster = ZeekCluster.launch(zeek, { work: s.work, db: s.logs, scripts: s.options.script, ignoreChecksums: s.options.ignoreChecksums }, layout, CENTRAL_NODES);
    }
    hosts.start({
      layout, captures: starts.map(st => ({ fingerprint: st.fingerprint, file: resolve(st.file) })),
      scripts: s.options.script ?? [], ignoreChecksums: !!s.options.ignoreChecksums,
    });
    if (starts.length) {
      indexing = indexNewCaptures(db, { fresh: starts, known: [], problems: [] }, { onProgress: s.progress });
      indexing.catch(() => undefined);
    }
    await Promise.race([hosts.done(), failed()]);
    if (cluster) await Promise.race([cluster.finish(), failed()]);
    const summary = indexing ? await Promise.race([indexing, aborted(stop.signal)]) : none;
    await hosts.close();
    return { summary };
  } catch (e) {
    const error = (e as Error).message;
    if (!stop.signal.aborted) stop.abort(e);
    await hosts?.close(error);
    await cluster?.stop();
    const summary = indexing ? await indexing.catch(() => none) : none;
    const interrupted = !!(e as { interrupted?: boolean }).interrupted;
    await forgetCaptures(db, starts.map(st => st.fingerprint));
    return { summary: { ...summary, captures: 0, packets: 0, flows: 0, problems: [] }, error: `${interrupted ? '' : 'the Zeek cluster failed: '}${error}; nothing of this run was kept`, interrupted };
  } finally {
    release();
  }
}

interface WorkerHostSettings {
  work: string;
  /** The capture files this host holds (the store, as mounted here). */
  files: string[];
  join: { host: string; port: number };
  shard: number;
  hosts: number;
  workers: number;
  joinSeconds: number;
}

export interface WorkerHostRun {
  captures: number;
  packets: number;
  bytes: number;
  error?: string;
  interrupted?: boolean;
}

/**
 * A worker host's run: joins the logger host, finds the run's captures among its own files by content, and sends
 * its workers the packets of its shard, merged by time; ends when its workers have exited.
 */
export async function analyzeAsWorkerHost(zeek: Zeek, s: WorkerHostSettings): Promise<WorkerHostRun> {
  const stop = new AbortController();
  const release = stopOnSignals(stop);
  let link: LoggerLink | undefined;
  let cluster: ZeekCluster | undefined;
  let feed: ShardFeed | undefined;
  try {
    link = await LoggerLink.join(s.join.host, s.join.port, { shard: s.shard, of: s.hosts, workers: s.workers }, s.joinSeconds, stop.signal);
    const ended = () => Promise.race([link!.ended, aborted(stop.signal), ...cluster ? [cluster.failed] : []]);
    const start = await Promise.race([link.started, ended()]);
    const starts = await Promise.race([ownCopies(s.files, start.captures), ended()]);
    let packets = 0;
    let bytes = 0;
    if (starts.length) {
      const mine = start.layout.workers.filter(w => w.name.startsWith(`worker-${s.shard}-`)).map(w => w.name);
      cluster = ZeekCluster.launch(zeek, { work: s.work, db: `${s.work}/unused.duckdb`, scripts: start.scripts, ignoreChecksums: start.ignoreChecksums }, start.layout, mine);
      const sink = feed = new ShardFeed(cluster.workerInputs, starts[0].info.linkTypes[0]);
      const sources = shardedSources(starts, packet => hostShard(packet, s.shard - 1, s.hosts, mine.length));
      await Promise.race([mergeByTime(sources, sink, stop.signal), ended()]);
      await Promise.race([sink.end(), ended()]);
      await Promise.race([cluster.finish(), ended()]);
      for (const share of sink.shares) {
        packets += share.packets;
        bytes += share.bytes;
      }
    }
    await link.finish();
    return { captures: starts.length, packets, bytes };
  } catch (e) {
    const error = (e as Error).message;
    if (!stop.signal.aborted) stop.abort(e);
    await cluster?.stop();
    await link?.finish(error);
    return { captures: 0, packets: 0, bytes: 0, error, interrupted: !!(e as { interrupted?: boolean }).interrupted };
  } finally {
    release();
    await feed?.close();
  }
}

/**
 * This host's copies of the run's captures, in the order given: a file at the logger host's path is tried
 * first (a store mounted at the same place everywhere); the others are found by fingerprint among `files`.
 */
async function ownCopies(files: string[], captures: RunCapture[]): Promise<Start[]> {
  const found = new Map<string, Start>();
  const fingerprintOf = async (file: string) => {
    const { size } = await stat(file);
    return { size, print: await fingerprint(file, size) };
  };
  const given = new Set(files.map(f => resolve(f)));
  for (const { file, fingerprint: wanted } of captures) {
    if (!given.has(resolve(file))) continue;
    const { size, print } = await fingerprintOf(file).catch(() => ({ size: 0, print: '' }));
    if (print === wanted) found.set(print, await startOf({ file, size, fingerprint: print }));
  }
  const wanted = new Set(captures.map(c => c.fingerprint).filter(f => !found.has(f)));
  for (const file of files) {
    if (!wanted.size) break;
    const { size, print } = await fingerprintOf(file);
    if (wanted.delete(print)) found.set(print, await startOf({ file, size, fingerprint: print }));
  }
  const missing = captures.filter(c => !found.has(c.fingerprint)).map(c => c.file);
  if (missing.length) {
    throw new Error(`this host has no copy of ${missing.length} of the run's captures (the logger host's ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})`);
  }
  // In the logger host's order (by first packet time), so that ties are broken as there.
  return captures.map(c => found.get(c.fingerprint)!);
}
