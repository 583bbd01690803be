// The merged packets of the captures, each to its worker's stdin as a pcap
// stream of its own (nanosecond timestamps, one link type). A worker's queue is
// bounded: when it is full the merge waits for that worker to read. Pipes are
// written on a thread of their own (pipe-writers.ts); other streams here.
import { PCAP_RECORD_HEADER, pcapHeader, putRecordHeader } from '../pcap/capture-writer';
import { settled } from './stream-settled';
import { fstatSync } from 'node:fs';
import { Writable } from 'node:stream';
import { MergeSink } from '../pcap/capture-merge';
import { PipeWriters } from './pipe-writers';
import { pipeDescriptor } from './pipe-stream';

/** Bytes gathered for a worker before they are written to its pipe. */
const CHUNK = 256 << 10;
/** Bytes a worker may have waiting (written, not yet read by Zeek) before the merge waits. */
const WORKER_QUEUE = 8 << 20;

class WorkerStream {
  chunk: Buffer = Buffer.from(new ArrayBuffer(CHUNK));
  used = 0;
  packets = 0;
  bytes = 0;
  broken: Error | undefined;
  /** Bytes handed to the pipe writer thread, not yet in the pipe. */
  inFlight = 0;
  /** Chunks whose write has completed, filled again: fresh memory for each cost page faults and garbage collections. */
  readonly spare: Buffer[] = [];

  constructor(readonly out: Writable, private readonly index: number, private readonly writers: PipeWriters | undefined) {
    // A worker that stops reading has failed; the run reports it by the worker's exit.
    out.on('error', e => { this.broken ??= e; });
  }

  get backlog(): number {
    return (this.writers ? this.inFlight : this.out.writableLength) + this.used;
  }

  /** Whether the bytes waiting for this worker are within its bound. */
  get open(): boolean {
    return (this.writers ? this.inFlight : this.out.writableLength) < WORKER_QUEUE || !!this.broken;
  }

  flush(): void {
    if (!this.used) return;
    const chunk = this.chunk;
    if (this.writers) {
      // Moved to the writer thread; it comes back (into spare) once written.
      this.inFlight += this.used;
      this.writers.write(this.index, chunk.buffer as ArrayBuffer, this.used);
    } else if (!this.broken) {
      // The pipe holds the chunk until the write completes (at most WORKER_QUEUE of them are in flight).
      this.out.write(chunk.subarray(0, this.used), e => { if (!e && chunk.length === CHUNK) this.spare.push(chunk); });
    }
    this.chunk = this.spare.pop() ?? Buffer.from(new ArrayBuffer(CHUNK));
    this.used = 0;
  }
}

/** The descriptor of a stream over a pipe (a Zeek's stdin), or undefined (any other stream). */
function pipeFd(out: Writable): number | undefined {
  // A closed stream's descriptor number may already name another file.
  const fd = out.destroyed ? undefined : pipeDescriptor(out);
  try {
    return fd !== undefined && fstatSync(fd).isFIFO() ? fd : undefined;
  } catch {
    return undefined;
  }
}

export class ShardFeed implements MergeSink {
  private readonly workers: WorkerStream[];
  private readonly writers: PipeWriters | undefined;
  /** Waiting for a worker's chunk to be written (drained()). */
  private wake: (() => void) | undefined;

  /** Whether the pipes are written by a thread of their own (every stream is over a pipe descriptor). */
  get threaded(): boolean {
    return this.writers !== undefined;
  }

  constructor(outs: Writable[], linkType: number) {
    const fds = outs.map(pipeFd);
    this.writers = fds.every(fd => fd !== undefined) && fds.length ? new PipeWriters(fds as number[], {
      written: (out, chunk, length) => {
        const w = this.workers[out];
        w.inFlight -= length;
        if (chunk.byteLength === CHUNK) w.spare.push(Buffer.from(chunk));
        this.woken();
      },
      broken: (out, message) => {
        this.workers[out].broken ??= new Error(message);
        this.woken();
      },
    }) : undefined;
    this.workers = outs.map((out, i) => new WorkerStream(out, i, this.writers));
    // The stream's header goes first, in its first chunk.
    for (const w of this.workers) {
      const header = pcapHeader({ linkType, littleEndian: true, nanosecond: true });
      w.chunk.set(header);
      w.used = header.length;
    }
  }

  put(bytes: Uint8Array, start: number, end: number, micros: number, nanos: number, origlen: number, shard: number): boolean {
    const w = this.workers[shard];
    const n = end - start;
    if (w.used + 16 + n > w.chunk.length) {
      w.flush();
      if (16 + n > w.chunk.length) w.chunk = Buffer.from(new ArrayBuffer(16 + n));
    }
    const c = w.chunk;
    const at = w.used;
    putRecordHeader(c, at, micros, nanos, n, origlen);
    c.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, n), at + PCAP_RECORD_HEADER);
    w.used = at + PCAP_RECORD_HEADER + n;
    w.packets++;
    w.bytes += n;
    return w.open;
  }

  /** Resolves once every worker's queue is below its bound (or its pipe broke). */
  async drained(): Promise<void> {
    for (const w of this.workers) w.flush();
    for (const w of this.workers) {
      while (!w.open) {
        if (this.writers) await new Promise<void>(r => { this.wake = r; });
        else await settled(w.out, 'drain');
      }
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
    for (const w of this.workers) w.flush();
    // The writer thread's descriptors close once written; a worker sees its end when ours closes too.
    await this.writers?.end();
    await Promise.all(this.workers.map(async w => {
      if (!this.writers) w.flush();
      if (w.broken || w.out.writableEnded) return;
      w.out.end();
      await settled(w.out, 'finish');
    }));
    await this.writers?.close();
  }

  /** Stops writing (a failed or interrupted run): the writer thread and its descriptors go. */
  async close(): Promise<void> {
    await this.writers?.close();
  }

  private woken(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
