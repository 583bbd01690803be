// DuckDB's read_csv costs about 10 ms a file, and each header line it meets
// lands in its rejects table once per missing column: thousands of small
// rotated logs cost minutes and hundreds of MB that way. Small logs sharing a
// header are copied, data lines only, into one plain file read by one scan;
// a line DuckDB names in it is mapped back to its file, line and byte.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { DataCopy, ScannedLog, scanLogFile } from './log-file-scan';

/** Header lines left out before a data line: how far its line and byte moved. */
interface Shift {
  /** Data lines of the file copied before this shift took effect. */
  copied: number;
  lines: number;
  bytes: number;
}

interface Block {
  file: string;
  /** 1-based line of the combined file where the file's first data line is. */
  firstLine: number;
  /** 0-based byte of the combined file where it starts. */
  firstByte: number;
  shifts: Shift[];
}

export interface Located {
  file: string;
  line: number;
  byte: number;
}

export class CombinedTsv {
  private blocks: Block[] = [];
  private bytes = 0;
  private lines = 0;

  private constructor(readonly path: string, private fd: number) {}

  static create(path: string): CombinedTsv {
    return new CombinedTsv(path, openSync(path, 'w'));
  }

  /** Bytes copied so far. */
  get size(): number {
    return this.bytes;
  }

  get files(): number {
    return this.blocks.length;
  }

  /**
   * Scans a log, copying its data lines; `keep` decides after the scan whether
   * they stay (not when the file is known already, or must be read alone).
   */
  async add(file: string, keep: (log: ScannedLog) => boolean): Promise<ScannedLog> {
    const block: Block = { file, firstLine: this.lines + 1, firstByte: this.bytes, shifts: [] };
    let copied = 0;
    let droppedLines = 0;
    let droppedBytes = 0;
    const copy: DataCopy = {
      write: parts => {
        for (const part of parts) if (part[part.length - 1] === 0x0a) copied++;
        const data = Buffer.concat(parts);
        for (let at = 0; at < data.length;) at += writeSync(this.fd, data, at, data.length - at, this.bytes + at);
        this.bytes += data.length;
      },
      dropped: (line, bytes) => {
        // The lines before this one that were not left out were copied.
        // Header lines in a row make one shift: only the last of them counts in locate().
        const shift = { copied: line - 1 - droppedLines, lines: droppedLines + 1, bytes: droppedBytes + bytes };
        const last = block.shifts[block.shifts.length - 1];
        if (last?.copied === shift.copied) block.shifts[block.shifts.length - 1] = shift;
        else block.shifts.push(shift);
        droppedLines++;
        droppedBytes += bytes;
      },
    };
    let log: ScannedLog;
    try {
      log = await scanLogFile(file, copy);
    } catch (e) {
      this.undo(block);
      throw e;
    }
    if (!keep(log)) {
      this.undo(block);
      return log;
    }
    this.lines += copied;
    this.blocks.push(block);
    return log;
  }

  private undo(block: Block): void {
    ftruncateSync(this.fd, block.firstByte);
    this.bytes = block.firstByte;
  }

  /** The file, line and byte of a line of the combined file. */
  locate(line: number, byte: number): Located {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.blocks[mid].firstLine <= line) lo = mid;
      else hi = mid - 1;
    }
    const block = this.blocks[lo];
    const copied = line - block.firstLine;
    let shift: Shift = { copied: 0, lines: 0, bytes: 0 };
    for (const s of block.shifts) if (s.copied <= copied) shift = s;
    return { file: block.file, line: copied + 1 + shift.lines, byte: byte - block.firstByte + shift.bytes };
  }

  close(): void {
    closeSync(this.fd);
  }
}
