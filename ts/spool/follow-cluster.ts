// analyze --follow --workers N: Zeek's cluster as analyze --workers N runs it
// (ts/zeek/zeek-cluster.ts: manager, proxy, a logger with the Arrow writer, N
// workers each reading its share of the packets, by address pair, on its
// stdin), kept running. The logger writes each log with follow-writer.ts. After
// a batch the marker goes to every worker; each worker flushes its logs and then
// writes a row of the workers' marks log on the same ZeroMQ socket as its log
// writes (follow.zeek), so the first of the logger's flush rounds whose flush of
// that log holds every worker's row comes after every record sent before the
// marker: the rows each log flushed in that round are the batch's.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addressShard } from '../pcap/address-shard';
import { ScanOptions } from '../pcap/scan-capture';
import { workerName } from '../zeek/cluster-layout';
import { Zeek } from '../zeek/find-zeek';
import { ShardFeed } from '../zeek/shard-feed';
import { ZeekCluster } from '../zeek/zeek-cluster';
import { FollowStream, StreamOptions, StreamRanges } from './follow-stream';
import { FLUSH_WAIT_MS, MARKER_FRAME, StreamFormat } from './follow-zeek';
import { ZeekLogs } from './zeek-logs';

/** The log of the workers' markers (ZeekArrowFollow::mark_path): zeek-arrow's own, never committed. */
const WORKER_MARKS = 'zeek_arrow_worker_marks';

export async function startClusterStream(zeek: Zeek, work: string, format: StreamFormat, workers: number, options: StreamOptions): Promise<FollowStream> {
  const logs = join(work, 'logger', 'logs');
  mkdirSync(logs, { recursive: true });
  const cluster = await ZeekCluster.start(zeek, {
    work, db: join(work, 'unused.duckdb'), workers, ignoreChecksums: options.ignoreChecksums, ownSessions: true,
    scripts: ['ZeekArrow/Arrow/follow', ...options.scripts ?? [], 'LogArrow::sink=module',
      `LogArrow::writer_module=${join(__dirname, 'follow-writer.js')}`, `LogArrow::output_dir=${logs}`,
      `ZeekArrowFollow::watch_pid=${process.pid}`],
  });
  return new ClusterStream(cluster, format, new ZeekLogs(join(work, 'logger'), logs, [WORKER_MARKS]));
}

class ClusterStream implements FollowStream {
  private readonly feed: ShardFeed;
  private readonly workers: string[];
  private full = false;
  private lastMarker = -Infinity;
  /** The logger's flush round the last commit took its rows at (µs of its network time). */
  private round = -Infinity;
  /** Why a node ended before its time, if one did. */
  private failure: Error | undefined;

  constructor(private readonly cluster: ZeekCluster, readonly format: StreamFormat, private readonly logs: ZeekLogs) {
    this.workers = cluster.layout.workers.map((_, i) => workerName(i));
    this.feed = new ShardFeed(cluster.workerInputs, format.linkType);
    cluster.failed.catch(e => { this.failure = e as Error; });
  }

  get markerMicros(): number {
    return this.lastMarker;
  }

  feeding(): ScanOptions {
    return {
      // The feed copies the packet out of the read buffer into its worker's chunk.
      onPacket: (r, packet) => {
        if (!this.feed.put(r.bytes, r.dataOffset, r.dataOffset + r.caplen, r.micros, r.nanos, r.origlen, addressShard(packet, this.workers.length))) this.full = true;
      },
      // Between chunks the reader waits for the workers whose queues are full.
      onData: async () => {
        if (!this.full) return;
        this.full = false;
        await Promise.race([this.feed.drained(), this.cluster.failed]);
      },
    };
  }

  async mark(micros: number): Promise<number> {
    const at = Math.max(micros, this.lastMarker + 1);
    this.workers.forEach((_, shard) => this.feed.put(MARKER_FRAME, 0, MARKER_FRAME.length, at, 0, MARKER_FRAME.length, shard));
    await Promise.race([this.feed.drained(), this.cluster.failed]);
    this.lastMarker = at;
    return at;
  }

  async caughtUp(signal?: AbortSignal): Promise<StreamRanges> {
    const marker = (this.lastMarker / 1e6).toFixed(6);
    const since = Date.now();
    let round: number | undefined;
    for (;;) {
      if (this.failure) throw this.failure;
      signal?.throwIfAborted();
      round ??= this.logs.flushHolding(WORKER_MARKS, this.workers, marker, this.round);
      if (round !== undefined) {
        const written = this.logs.writtenAtRound(round) ?? [];
        const waiting = this.logs.notFlushedAt(round, written);
        if (!waiting.length) break;
        if (Date.now() - since > FLUSH_WAIT_MS) throw new Error(`the Zeek cluster's logger did not flush ${waiting.join(', ')} within ${FLUSH_WAIT_MS / 1000} s`);
      } else if (Date.now() - since > FLUSH_WAIT_MS) {
        throw new Error(`the Zeek cluster's logger did not receive every worker's marker of ${marker} within ${FLUSH_WAIT_MS / 1000} s`);
      }
      await new Promise(r => setTimeout(r, 20));
    }
    this.round = round;
    return [{ logs: this.logs, ranges: this.logs.rangesBefore(round) }];
  }

  async end(): Promise<void> {
    await this.feed.end();
    await this.cluster.finish();
  }

  wholeFiles(): StreamRanges {
    return [{ logs: this.logs, ranges: this.logs.wholeFiles() }];
  }

  stop(): Promise<void> {
    return this.cluster.stop();
  }
}
