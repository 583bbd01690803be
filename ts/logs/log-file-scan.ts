import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { startsWithGzip } from '../common/gzip-magic';
import { gunzipFile } from '../common/gunzip-file';

export interface HeaderLine {
  /** 1-based line number in the (decompressed) file. */
  line: number;
  text: string;
}

/** What one pass over a log file tells: its identity, its format and its header lines. */
export interface ScannedLog {
  file: string;
  /** SHA-256 of the decompressed content: the same log, plain or gzipped, is known as one. */
  sha256: string;
  format: 'tsv' | 'json';
  gzip: boolean;
  /** Decompressed bytes and lines that were read whole. */
  bytes: number;
  lines: number;
  /** Empty lines (DuckDB passes over them). */
  blankLines: number;
  /** Lines starting with '#' (Zeek escapes a data line's leading '#', so these are headers). */
  headerLines: HeaderLine[];
  /** Set when the file ends early (a truncated gzip): the data before it is still good. */
  truncated?: { message: string; compressedOffset: number; line: number };
  /** Set when the last line is data without its newline: a file cut while being written or copied. */
  cut?: { line: number; byte: number };
  /** The most tab-separated fields on a line of WIDE_LINE_BYTES or more (0 when none is that long). */
  wideFields: number;
}

/**
 * Lines at least this long have their fields counted: DuckDB's CSV reader takes time quadratic in the fields a line
 * has beyond its header when it records rejects (16,000 extra fields: 50 s), so such lines must not reach it.
 * Shorter lines (at most ~256 fields) cost it a few ms at worst.
 */
export const WIDE_LINE_BYTES = 512;

/** Where scanLogFile copies a file's data lines (complete lines only; header lines are left out). */
export interface DataCopy {
  write(parts: Buffer[]): void;
  /** A header line of `bytes` bytes (its newline included) at `line` was left out. */
  dropped(line: number, bytes: number): void;
}

async function startsWithGzipMagic(file: string): Promise<{ gzip: boolean; size: number }> {
  const handle = await open(file, 'r');
  try {
    return { gzip: await startsWithGzip(handle), size: (await handle.stat()).size };
  } finally {
    await handle.close();
  }
}

/** Opens a log file's decompressed content as a stream. */
export async function openLogStream(file: string, readBytes = 1 << 20): Promise<{ stream: Readable; gzip: boolean; compressedOffset: () => number }> {
  const { gzip, size } = await startsWithGzipMagic(file);
  // Reads no bigger than the file: a 1 MB buffer for each of thousands of small logs keeps the collector busy.
  const highWaterMark = Math.max(1 << 12, Math.min(readBytes, size));
  if (gzip) {
    const { stream, consumed } = gunzipFile(file, highWaterMark);
    return { stream, gzip, compressedOffset: consumed };
  }
  const raw = createReadStream(file, { highWaterMark });
  return { stream: raw, gzip, compressedOffset: () => raw.bytesRead };
}

/** Reads a log file once: hash, format, line count and header lines; copies its data lines to `copy` if given. */
export async function scanLogFile(file: string, copy?: DataCopy): Promise<ScannedLog> {
  const { stream, gzip, compressedOffset } = await openLogStream(file);
  const hash = createHash('sha256');
  const headerLines: HeaderLine[] = [];
  let bytes = 0;
  let lines = 0;
  let blankLines = 0;
  let format: 'tsv' | 'json' | undefined;
  let lineStart = true;
  let partialHeader: Buffer[] | undefined;
  let partialData: Buffer[] = [];
  let lineStartByte = 0;
  let truncated: ScannedLog['truncated'];
  let wideFields = 0;
  let lineFields = 1;

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      const chunkStart = bytes;
      bytes += chunk.length;
      const out: Buffer[] = [];
      if (format === undefined) {
        const first = chunk.find(b => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
        if (first !== undefined) format = first === 0x7b ? 'json' : 'tsv';
      }
      let pos = 0;
      while (pos < chunk.length) {
        if (lineStart && chunk[pos] === 0x23) partialHeader = [];
        const nl = chunk.indexOf(0x0a, pos);
        const end = nl === -1 ? chunk.length : nl;
        if (partialHeader) partialHeader.push(chunk.subarray(pos, end));
        else if (copy) partialData.push(chunk.subarray(pos, nl === -1 ? end : nl + 1));
        if (end - pos >= WIDE_LINE_BYTES || lineFields > 1) {
          // indexOf (memchr) rather than a loop over bytes: x509's lines of SAN lists took a second a 193 MB file.
          const line = chunk.subarray(pos, end);
          for (let i = line.indexOf(0x09); i !== -1; i = line.indexOf(0x09, i + 1)) lineFields++;
        }
        if (nl === -1) {
          lineStart = false;
          break;
        }
        lines++;
        if (lineFields > wideFields) wideFields = lineFields;
        lineFields = 1;
        if (lineStart && nl === pos) blankLines++;
        if (partialHeader) {
          headerLines.push({ line: lines, text: Buffer.concat(partialHeader).toString('utf8') });
          partialHeader = undefined;
          copy?.dropped(lines, chunkStart + nl + 1 - lineStartByte);
        } else if (copy) {
          out.push(...partialData);
          partialData = [];
        }
        lineStart = true;
        pos = nl + 1;
        lineStartByte = chunkStart + pos;
      }
      if (out.length) copy!.write(out);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (!gzip || !/unexpected end of file|incorrect|invalid/i.test(err.message)) throw e;
    truncated = { message: `gzip data ends early (${err.message})`, compressedOffset: compressedOffset(), line: lines + 1 };
  }
  let cut: ScannedLog['cut'];
  if (!lineStart && !truncated) {
    // A last line without a newline still counts (a data line as cut: it is not copied).
    lines++;
    if (lineFields > wideFields) wideFields = lineFields;
    if (partialHeader) headerLines.push({ line: lines, text: Buffer.concat(partialHeader).toString('utf8') });
    else cut = { line: lines, byte: lineStartByte };
  }
  if (wideFields === 1) wideFields = 0;
  return { file, sha256: hash.digest('hex'), format: format ?? 'tsv', gzip, bytes, lines, blankLines, headerLines, truncated, cut, wideFields };
}

/** The start of a log file: enough to group it (format, compression, leading header lines). */
export interface LogFilePeek {
  file: string;
  format: 'tsv' | 'json';
  gzip: boolean;
  /** The header lines at the top of the file (later sections show up in the full scan). */
  headerLines: HeaderLine[];
}

const PEEK_BYTES = 1 << 16;

/** Reads (and if need be decompresses) only the first 64 KB of a log file. */
export async function peekLogFile(file: string): Promise<LogFilePeek> {
  const { stream, gzip } = await openLogStream(file, PEEK_BYTES);
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes >= PEEK_BYTES) break;
    }
  } catch (e) {
    if (!gzip) throw e; // a broken gzip is named by the full scan
  } finally {
    stream.destroy();
  }
  const text = Buffer.concat(chunks).subarray(0, PEEK_BYTES).toString('utf8');
  const first = text.trimStart()[0];
  const headerLines: HeaderLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length - 1 && lines[i].startsWith('#'); i++) headerLines.push({ line: i + 1, text: lines[i] });
  return { file, format: first === '{' ? 'json' : 'tsv', gzip, headerLines };
}
