// The complete lines of a file another process appends to, read once each: a
// --follow run lasts days, and its flush and marker files grow all the while.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { nativeBridge } from '../duckdb/bridge';

/** Bytes read before their disk blocks are freed (a syscall per read would cost more than the blocks). */
const RELEASE_EVERY = 64 << 10;

export class AppendedLines {
  private offset = 0;
  /** Bytes at the file's start whose blocks were freed: read already, never read again (the file keeps its size). */
  private released = 0;

  constructor(private readonly file: string) {}

  /** The lines completed since the last call (each line is given once; the caller keeps what it needs). */
  read(): string[] {
    const lines: string[] = [];
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return lines;
      throw e;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return lines;
      const bytes = Buffer.allocUnsafe(size - this.offset);
      const got = readSync(fd, bytes, 0, bytes.length, this.offset);
      // A line still being written (no newline yet) is left for the next call.
      const end = bytes.subarray(0, got).lastIndexOf(0x0a) + 1;
      if (end === 0) return lines;
      for (const line of bytes.toString('utf8', 0, end).split('\n')) if (line) lines.push(line);
      this.offset += end;
      // A flush line a second per log, for as long as the run lasts: what was read leaves the disk.
      if (this.offset - this.released >= RELEASE_EVERY) {
        nativeBridge().releaseBytes(this.file, 0, this.offset);
        this.released = this.offset;
      }
      return lines;
    } finally {
      closeSync(fd);
    }
  }
}
