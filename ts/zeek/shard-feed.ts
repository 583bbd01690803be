// The merged packets of the captures, each to its worker's stdin as a pcap
// stream of its own (nanosecond timestamps, one link type). A worker's queue is
// bounded: when it is full the merge waits for that worker to read.
import { settled } from './stream-settled';
import { Writable } from 'node:stream';
import { MergeSink, MergedPacket } from '../pcap/capture-merge';

/** Bytes gathered for a worker before they are written to its pipe. */
const CHUNK = 256 << 10;
/** Bytes a worker may have waiting (written, not yet read by Zeek) before the merge waits. */
export const WORKER_QUEUE = 8 << 20;
/** libpcap's MAXIMUM_SNAPLEN. */
const MAX_SNAPLEN = 262144;

function pcapHeader(linkType: number): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b23c4d, 0); // nanosecond pcap
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(MAX_SNAPLEN, 16);
  header.writeUInt32LE(linkType, 20);
  return header;
}

class WorkerStream {
  chunk = Buffer.allocUnsafe(CHUNK);
  used = 0;
  packets = 0;
  bytes = 0;
  broken: Error | undefined;

  constructor(readonly out: Writable) {
    // A worker that stops reading has failed; the run reports it by the worker's exit.
    out.on('error', e => { this.broken ??= e; });
  }

  get backlog(): number {
    return this.out.writableLength + this.used;
  }

  flush(): void {
    if (!this.used) return;
    if (!this.broken) this.out.write(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(CHUNK);
    this.used = 0;
  }
}

export class ShardFeed implements MergeSink {
  private readonly workers: WorkerStream[];

  constructor(outs: Writable[], linkType: number) {
    this.workers = outs.map(out => new WorkerStream(out));
    for (const w of this.workers) w.out.write(pcapHeader(linkType));
  }

  put(p: MergedPacket): boolean {
    const w = this.workers[p.shard];
    const n = p.data.length;
    if (w.used + 16 + n > w.chunk.length) {
      w.flush();
      if (16 + n > w.chunk.length) w.chunk = Buffer.allocUnsafe(16 + n);
    }
    const c = w.chunk;
    const at = w.used;
    const seconds = Math.floor(p.micros / 1e6);
    c.writeUInt32LE(seconds, at);
    c.writeUInt32LE((p.micros - seconds * 1e6) * 1000 + p.nanos, at + 4);
    c.writeUInt32LE(n, at + 8);
    c.writeUInt32LE(p.origlen, at + 12);
    c.set(p.data, at + 16);
    w.used = at + 16 + n;
    w.packets++;
    w.bytes += n;
    return w.out.writableLength < WORKER_QUEUE || !!w.broken;
  }

  /** Resolves once every worker's queue is below its bound (or its pipe broke). */
  async drained(): Promise<void> {
    for (const w of this.workers) w.flush();
    for (const w of this.workers) {
      while (!w.broken && w.out.writableLength >= WORKER_QUEUE) await settled(w.out, 'drain');
    }
  }

  /** Packets (and their captured bytes) sent to each worker. */
  get shares(): { packets: number; bytes: number }[] {
    return this.workers.map(w => ({ packets: w.packets, bytes: w.bytes }));
  }

  /** Bytes the slowest worker has yet to read. */
  get backlog(): number {
    return Math.max(0, ...this.workers.map(w => w.backlog));
  }

  /** Writes what is gathered and closes every worker's stdin: the end of its trace. */
  async end(): Promise<void> {
    await Promise.all(this.workers.map(async w => {
      w.flush();
      if (w.broken || w.out.writableEnded) return;
      w.out.end();
      await settled(w.out, 'finish');
    }));
  }
}
