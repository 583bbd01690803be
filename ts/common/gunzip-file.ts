// A gzip file's decompressed bytes, every decodable byte before a failure: Node's Gunzip drops output still in its
// buffer when it fails (a truncated file), so what a slow reader got depended on its speed (lines and packets lost).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { ZlibOptions, createGunzip } from 'node:zlib';

export interface GunzippedFile {
  /** The decompressed bytes; throws zlib's or the read's error after every byte decoded before it. */
  stream: Readable;
  /** Compressed bytes read so far. */
  consumed: () => number;
}

export function gunzipFile(file: string, readBytes: number, options: ZlibOptions = {}): GunzippedFile {
  const raw = createReadStream(file, { highWaterMark: readBytes });
  const gunzip = createGunzip(options);
  // Decompressed bytes waiting for the reader; past this the file is not read further (a 64 KiB peek must not
  // decompress megabytes ahead).
  const limit = 4 * readBytes;
  const queue: Buffer[] = [];
  let queued = 0;
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => { const w = wake; wake = undefined; w?.(); };
  const resumeIfRoom = () => { if (queued < limit && !gunzip.writableNeedDrain && !done) raw.resume(); };
  const fail = (e: Error) => { failure ??= e; done = true; signal(); };

  // 'data' keeps the Gunzip flowing: each piece is taken as it is made, so a failure comes after all of them.
  gunzip.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= limit) raw.pause();
    signal();
  });
  gunzip.on('end', () => { done = true; signal(); });
  gunzip.on('error', fail);
  gunzip.on('drain', resumeIfRoom);
  raw.on('error', fail);
  // Zlib decodes the chunk written last with Z_FINISH when end() comes before it is decoded, and drops what that
  // call made when it fails (a truncated file): so end() waits until every chunk written has been decoded.
  let decoding = 0;
  let ended = false;
  const endIfDecoded = () => { if (ended && decoding === 0 && !gunzip.destroyed) gunzip.end(); };
  raw.on('data', (chunk: Buffer | string) => {
    decoding++;
    if (!gunzip.write(chunk, () => { decoding--; endIfDecoded(); })) raw.pause();
  });
  raw.on('end', () => { ended = true; endIfDecoded(); });

  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const chunk = queue.shift();
        if (chunk) {
          queued -= chunk.length;
          if (raw.isPaused()) resumeIfRoom();
          yield chunk;
        } else if (done) {
          if (failure) throw failure;
          return;
        } else {
          await new Promise<void>(resolve => { wake = resolve; });
        }
      }
    } finally {
      raw.destroy();
      gunzip.destroy();
    }
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), consumed: () => raw.bytesRead };
}
