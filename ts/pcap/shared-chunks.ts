// A capture's bytes handed from the thread that reads the file to a thread that
// indexes it: each chunk the reader has parsed is moved (transferred, not
// copied) to the index thread, which gives it back once it has read it. The
// reader waits for a free chunk, so a slow index holds it back rather than
// piling up memory. (Shared memory was tried first: V8 copies out of a
// SharedArrayBuffer several times slower than out of its own memory.)
import { MessagePort } from 'node:worker_threads';

/** Chunks in the pool: the reader's read-ahead and the one it parses, and a few the index may lag behind by. */
const CHUNKS = 8;

/** What goes over the port: the next chunk of the file (its bytes [start, start + length)), or its end (and why it broke off). */
type ChunkMessage = { chunk: ArrayBuffer; start: number; length: number; id: number } | { end: true; error?: string };

/** The reading side: the chunks to read the file into, each passed on to the index thread once parsed here. */
export class ChunkSender {
  /** Per chunk id: its memory while here (undefined while the index thread has it). */
  private readonly chunks: (ArrayBuffer | undefined)[];
  private readonly free: number[] = [];
  private readonly waiting: ((id: number) => void)[] = [];
  private ended = false;
  /** The index thread is gone: chunks it had are made anew. */
  private abandoned = false;

  constructor(private readonly port: MessagePort, private readonly chunkSize: number) {
    this.chunks = Array.from({ length: CHUNKS }, () => new ArrayBuffer(chunkSize));
    for (let id = 0; id < CHUNKS; id++) this.free.push(id);
    port.on('message', (m: { release: number; chunk: ArrayBuffer }) => {
      this.chunks[m.release] = m.chunk;
      this.release(m.release);
    });
  }

  /** A chunk to read into (waits while the index thread has all the others). */
  async take(): Promise<{ id: number; chunk: Uint8Array }> {
    const id = this.free.length ? this.free.shift()! : await new Promise<number>(r => this.waiting.push(r));
    const memory = this.chunks[id] ??= new ArrayBuffer(this.chunkSize);
    return { id, chunk: new Uint8Array(memory) };
  }

  /** The reader is done with a chunk whose bytes [start, start + length) are the file's next: the index thread gets them. */
  done(id: number, start: number, length: number): void {
    const chunk = this.chunks[id]!;
    if (this.abandoned || this.ended || length === 0) return this.release(id);
    this.chunks[id] = undefined;
    this.port.postMessage({ chunk, start, length, id } satisfies ChunkMessage, [chunk]);
  }

  /** No more chunks: the file's end, or the read broke off (`error`: then the index fails with it). */
  end(error?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.abandoned) this.port.postMessage({ end: true, ...error !== undefined ? { error } : {} } satisfies ChunkMessage);
  }

  /** The index thread has finished (or failed): the reader goes on alone, and chunks it kept are made anew. */
  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.port.close();
    for (let id = 0; id < CHUNKS; id++) if (!this.chunks[id]) this.release(id);
  }

  private release(id: number): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(id);
    else this.free.push(id);
  }
}

/** The indexing side: the chunks in order, each given back once read (`next` resolves undefined at the end). */
export class ChunkReceiver {
  private readonly queue: ChunkMessage[] = [];
  private wake: (() => void) | undefined;
  private current: { id: number; chunk: ArrayBuffer } | undefined;

  constructor(private readonly port: MessagePort) {
    port.on('message', (m: ChunkMessage) => {
      this.queue.push(m);
      const w = this.wake;
      this.wake = undefined;
      w?.();
    });
  }

  /**
   * The next chunk of the file (the one before is given back once it is here); undefined at its end (the last one
   * kept: its unparsed tail may still be looked at); rejects if the read broke off.
   */
  async next(): Promise<Uint8Array | undefined> {
    while (!this.queue.length) await new Promise<void>(r => { this.wake = r; });
    const m = this.queue.shift()!;
    if ('end' in m) {
      // The reader has ended: it waits for no chunk now (its pool is abandoned once the index is done).
      this.current = undefined;
      this.port.close();
      if (m.error !== undefined) throw new Error(m.error);
      return undefined;
    }
    this.giveBack();
    this.current = { id: m.id, chunk: m.chunk };
    return new Uint8Array(m.chunk, m.start, m.length);
  }

  /** Gives back the chunk being read (the reader may fill it again). */
  giveBack(): void {
    if (!this.current) return;
    const { id, chunk } = this.current;
    this.current = undefined;
    this.port.postMessage({ release: id, chunk }, [chunk]);
  }
}
