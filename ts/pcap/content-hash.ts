// SHA-256 of capture files on a worker thread, while the indexing thread reads
// the same file: hashing there would cost as much as reading, decoding and
// indexing put together. The second read comes from the page cache.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

/** Hashes files beside the caller's thread, on one or more threads of its own. Close it when done. */
export class ContentHasher {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (hex: string) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor(threads = 1) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => {
      const worker = new Worker(__filename);
      worker.on('message', ({ id, hex, error }: { id: number; hex?: string; error?: string }) => {
        const w = this.waiting.get(id)!;
        this.waiting.delete(id);
        if (error !== undefined) w.reject(new Error(error));
        else w.resolve(hex!);
      });
      worker.on('error', e => { for (const w of this.waiting.values()) w.reject(e); this.waiting.clear(); });
      return worker;
    });
  }

  /** The SHA-256 (hex) of the file's bytes as stored, what `sha256sum` prints. */
  hashFile(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.waiting.set(id, { resolve, reject });
      // In turn: the files of one run are of a size, and hashing is faster than scanning.
      this.workers[id % this.workers.length].postMessage({ id, path });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(w => w.terminate()));
  }
}

const CHUNK = 4 << 20;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    // The next read is under way while a chunk is hashed: from disk, reading and hashing in turn took twice as long.
    const chunks = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let position = 0;
    const read = (chunk: Buffer) => {
      const at = position;
      position += CHUNK;
      return handle.read(chunk, 0, CHUNK, at).then(r => chunk.subarray(0, r.bytesRead));
    };
    let next = read(chunks[0]);
    for (let turn = 1; ; turn ^= 1) {
      const chunk = await next;
      if (chunk.length === 0) break;
      next = read(chunks[turn]);
      hash.update(chunk);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', ({ id, path }: { id: number; path: string }) => {
    sha256File(path).then(hex => port.postMessage({ id, hex }), (e: Error) => port.postMessage({ id, error: e.message }));
  });
}
