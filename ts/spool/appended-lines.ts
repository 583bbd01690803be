// The complete lines of a file another process appends to, read once each: a
// --follow run lasts days, and its flush and marker files grow all the while.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class AppendedLines {
  private offset = 0;

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
      return lines;
    } finally {
      closeSync(fd);
    }
  }
}
