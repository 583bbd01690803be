// The workers' pcap streams written into their pipes on a thread of their own:
// the kernel's copy of every byte into a pipe is paid by the thread that calls
// write(), and on the reader's thread it took a third of its time. The reader
// fills a chunk, moves it here (transferred, not copied) and gets it back once
// written. Each pipe is opened again here (/proc/self/fd: a second descriptor
// of the same pipe, closed by this thread), so the caller's stream keeps its own.
import { constants, openSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { pipeStream } from './pipe-stream';

/** To the thread: a chunk's first `length` bytes for pipe `out`, or the end of every stream. */
type Order = { chunk: ArrayBuffer; length: number; out: number } | { end: true };
/** From the thread: a chunk written (given back), a pipe that failed, or every stream ended. */
type Report = { written: ArrayBuffer; length: number; out: number } | { broken: string; out: number } | { ended: true };

export interface PipeEvents {
  /** A chunk's bytes are in the pipe: the chunk may be filled again. */
  written(out: number, chunk: ArrayBuffer, length: number): void;
  /** Writing into pipe `out` failed (its reader is gone). */
  broken(out: number, message: string): void;
}

export class PipeWriters {
  private readonly thread: Worker;
  private ended: Promise<void> | undefined;
  private endedNow: (() => void) | undefined;
  /** The thread is gone (it failed): nothing is left to end. */
  private dead = false;

  /** `fds`: the pipes' write ends (the caller's; this thread opens each again). */
  constructor(fds: number[], events: PipeEvents) {
    // Not tracked: Node closes a worker's fs.open descriptors again at its exit, and these were closed with their sockets
    // (a second close took another thread's file under the same number: a capture's hash failed with EBADF).
    this.thread = new Worker(__filename, { workerData: { pipeWriters: fds }, trackUnmanagedFds: false });
    // Never what keeps the process alive: the caller ends or closes it.
    this.thread.unref();
    this.thread.on('message', (m: Report) => {
      if ('written' in m) events.written(m.out, m.written, m.length);
      else if ('broken' in m) events.broken(m.out, m.broken);
      else this.endedNow?.();
    });
    const died = (why: string) => {
      if (this.dead) return; // 'error' is followed by 'exit'
      this.dead = true;
      for (let out = 0; out < fds.length; out++) events.broken(out, `the pipe writer thread stopped: ${why}`);
      this.endedNow?.();
    };
    this.thread.on('error', e => died(e.message));
    this.thread.on('exit', code => { if (!this.ended) died(`exit ${code}`); });
  }

  /** Writes chunk[0, length) into pipe `out` after what was written there before; the chunk comes back by written(). */
  write(out: number, chunk: ArrayBuffer, length: number): void {
    if (this.dead) return;
    this.thread.postMessage({ chunk, length, out } satisfies Order, [chunk]);
  }

  /** Ends every stream once its chunks are written (this thread's descriptors closed); resolves then. */
  end(): Promise<void> {
    if (this.dead) return Promise.resolve();
    this.ended ??= new Promise<void>(resolve => {
      this.endedNow = resolve;
      this.thread.postMessage({ end: true } satisfies Order);
    });
    return this.ended;
  }

  /** Stops the thread (its descriptors closed with it), whatever it was writing. */
  async close(): Promise<void> {
    this.ended ??= Promise.resolve();
    await this.thread.terminate();
  }
}

function serve(fds: number[]): void {
  const port = parentPort!;
  const pipes = fds.map((fd, out) => {
    // Not blocking: a pipe whose reader is gone fails here (ENXIO) rather than waiting for one.
    const pipe = pipeStream(openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK));
    pipe.on('error', e => port.postMessage({ broken: e.message, out } satisfies Report));
    return pipe;
  });
  port.on('message', (m: Order) => {
    if ('end' in m) {
      void Promise.all(pipes.map(pipe => new Promise<void>(resolve => {
        if (pipe.destroyed) return resolve();
        pipe.once('close', () => resolve());
        pipe.end(() => pipe.destroy());
      }))).then(() => port.postMessage({ ended: true } satisfies Report));
      return;
    }
    const { chunk, length, out } = m;
    const back = () => port.postMessage({ written: chunk, length, out } satisfies Report, [chunk]);
    const pipe = pipes[out];
    if (pipe.destroyed) back();
    else pipe.write(new Uint8Array(chunk, 0, length), back);
  });
}

if (!isMainThread && (workerData as { pipeWriters?: number[] } | undefined)?.pipeWriters) serve((workerData as { pipeWriters: number[] }).pipeWriters);
