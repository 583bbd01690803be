// SHA-256 of capture files on a worker thread, while the indexing thread reads
// the same file: hashing there would cost as much as reading, decoding and
// indexing put together. The second read comes from the page cache.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';
import { WorkerPool, serveJobs } from './worker-pool';

/** Hashes files beside the caller's thread, on threads of its own. Close it when done. */
export class ContentHasher extends WorkerPool<string, string> {
  constructor(threads = 1) {
    super(__filename, 'hash', threads);
  }

  /** The SHA-256 (hex) of the file's bytes as stored, what `sha256sum` prints. */
  hashFile(path: string): Promise<string> {
    return this.run(path, path);
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

if (!isMainThread) serveJobs((path: string) => sha256File(path));
