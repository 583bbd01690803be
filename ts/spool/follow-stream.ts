// The packets analyze --follow feeds its running Zeek: with one worker, the
// captures' bytes as they are (one pcap stream) to one Zeek; with N, Zeek's
// cluster (follow-cluster.ts), each packet to the worker of its address pair as
// analyze --workers N shards. A marker goes to every worker after each batch.
import { join } from 'node:path';
import { ScanOptions } from '../pcap/scan-capture';
import { Zeek } from '../zeek/find-zeek';
import { startClusterStream } from './follow-cluster';
import { FollowZeek, StreamFormat } from './follow-zeek';
import { LogRanges, ZeekLogs } from './zeek-logs';

export interface FollowStream {
  readonly format: StreamFormat;
  /** How a capture's scan passes its bytes or packets on (reading waits for the Zeeks). */
  feeding(file: string): ScanOptions;
  /** Sends a marker to every Zeek at `micros`; returns its time. */
  mark(micros: number): Promise<number>;
  /** Waits until the logs hold every row logged before the last marker; returns the rows before it not taken yet. */
  caughtUp(signal?: AbortSignal): Promise<StreamRanges>;
  /** The time of the last marker sent. */
  readonly markerMicros: number;
  /** Ends every Zeek's trace (they log their open sessions) and waits for them to exit. */
  end(): Promise<void>;
  /** After end(): the rows not taken yet. */
  wholeFiles(): StreamRanges;
  /** Ends the Zeeks at once: what they have not logged by the last marker is not taken (a restart replays it). */
  stop(): Promise<void>;
}

export interface StreamOptions { scripts?: string[]; ignoreChecksums?: boolean }

/** Starts one Zeek, or a cluster of `workers` workers, in `work` reading a stream of `format`. */
export async function startStream(zeek: Zeek, work: string, format: StreamFormat, workers: number, options: StreamOptions): Promise<FollowStream> {
  if (workers > 1) return startClusterStream(zeek, work, format, workers, options);
  return new OneStream(FollowZeek.start(zeek, join(work, 'worker-1'), format, options));
}

class OneStream implements FollowStream {
  constructor(private readonly zeek: FollowZeek) {}

  get format(): StreamFormat {
    return this.zeek.format;
  }

  get markerMicros(): number {
    return this.zeek.markerMicros;
  }

  feeding(file: string): ScanOptions {
    return { onData: chunk => this.zeek.write(file, chunk) };
  }

  mark(micros: number): Promise<number> {
    return this.zeek.mark(micros);
  }

  async caughtUp(signal?: AbortSignal): Promise<StreamRanges> {
    await this.zeek.caughtUp(signal);
    return [{ logs: this.zeek.logs, ranges: this.zeek.logs.rangesBefore(this.zeek.markerMicros) }];
  }

  end(): Promise<void> {
    return this.zeek.end();
  }

  wholeFiles(): StreamRanges {
    return [{ logs: this.zeek.logs, ranges: this.zeek.logs.wholeFiles() }];
  }

  stop(): Promise<void> {
    return this.zeek.stop();
  }
}

/** The logs of every Zeek of a stream, with the byte ranges one commit takes of each. */
export type StreamRanges = { logs: ZeekLogs; ranges: LogRanges }[];
