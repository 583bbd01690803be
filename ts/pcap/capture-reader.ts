// Streams the packet records of a pcap or pcapng file (plain or gzipped) without loading the file:
// one reused buffer, one reused record object, no allocation per record but the data view.
import { FileHandle, open } from 'node:fs/promises';
import { gunzipFile } from '../common/gunzip-file';
import { CaptureInfo, CaptureProblem, CaptureRecord } from './types';
import { startsWithGzip } from '../common/gzip-magic';
import { EPB, IDB, OPT_TSOFFSET, OPT_TSRESOL, PB, PacketBlockFields, SHB, SPB, readPacketBlock, unitsPerSecond } from './pcapng-block';
import { ChunkReceiver, ChunkSender } from './shared-chunks';
import { doubled } from '../common/doubled';

export interface ReadOptions {
  /** Once the file header (pcap) or the first SHB and IDBs (pcapng) are known; for pcapng, linkTypes may grow
   *  afterwards as later IDBs and sections appear (the CaptureInfo returned at the end has them all). */
  onInfo?: (info: CaptureInfo) => void;
  /** Damaged input: names the file and the byte offset. */
  onProblem?: (problem: CaptureProblem) => void;
  /** Every byte of the (decompressed) stream, in order, exactly once; a view valid only during the call (or until
   *  the promise it returns settles: reading waits for it). */
  onData?: (chunk: Uint8Array) => void | Promise<void>;
  /** Bytes of the file on disk consumed so far (compressed bytes for .gz): at most every few MiB, and at the end. */
  onProgress?: (bytesRead: number) => void;
  /** Stop after this many records: a look at the start of a capture (its header and first packet's time). */
  maxRecords?: number;
  /** @internal For tests: the read buffer's starting size (it grows for records that do not fit); for a plain file,
   *  the chunks' headroom (longer records are joined in a buffer of their own) and, from 4 KiB, the read size. */
  bufferSize?: number;
  /** A plain (not gzipped) file's chunks, once read here, moved to another thread (its index) without a copy. */
  shareWith?: ChunkSender;
  /** Read the bytes from these chunks (another thread's read of the file, shareWith there) instead of the file. */
  chunks?: ChunkReceiver;
}


const BUFFER_SIZE = 8 << 20;
/** Buffer and read sizes for a look at a capture's first records (the buffer grows if they are longer). */
const FIRST_LOOK = 64 << 10;
const PROGRESS_STEP = 4 << 20;
/** libpcap's MAXIMUM_SNAPLEN: a pcap record claiming more than this and the file's snaplen is damage. */
export const MAX_SNAPLEN = 262144;
/** libpcap's (starting) limit on a pcapng block: a longer one is damage. */
const MAX_BLOCK = 16 << 20;


/** A file that is not a capture at all (or whose first pcapng section is): names the file and the byte offset. */
export class CaptureFormatError extends Error {
  constructor(readonly file: string, readonly offset: number, message: string) {
    super(`${file}: ${message}`);
  }
}

/** The bytes to parse next: buf[start, end), the new ones from `fresh` on. */
interface Parsed { buf: Uint8Array; start: number; end: number; fresh: number }

/** Where the bytes come from: the file, or its gunzipped stream (or another thread's read of the file). */
interface Source {
  /** Reads into buf from `at` up to its end; 0 at the end of the stream. */
  read?(buf: Uint8Array, at: number): Promise<number>;
  /**
   * Or, parsed where they were read: the next chunk with the unparsed tail buf[start, end) placed in front of it;
   * undefined at the end of the stream.
   */
  next?(buf: Uint8Array, start: number, end: number): Promise<Parsed | undefined>;
  /** Bytes of the file on disk consumed so far. */
  consumed(): number;
  /** Why a gzip stream broke off, once it has. */
  failure?: string;
  close(): Promise<void>;
}

/** Bytes read ahead of the parser: the disk works while the records of the last read are handled. */
const READ_AHEAD = 4 << 20;
/** Room before each chunk's bytes for the record the chunk before ended inside (any pcap record fits). */
const HEADROOM = MAX_SNAPLEN + 64;
/** A chunk of the file as read, with its headroom: what a ChunkSender's pool holds. */
export const CHUNK_BYTES = HEADROOM + READ_AHEAD;
/** The smallest read (a test's small buffer makes small headroom, not a read per byte). */
const MIN_READ = 4096;
/** Reads under way at once: the disk keeps busy while the parser works through a chunk. */
const READS_AHEAD = 2;

/** Chunks to read into: take one, give it back when done (a ChunkSender passes it on to another thread then). */
interface ChunkPool {
  take(): Promise<{ id: number; chunk: Uint8Array }>;
  /** Done here with chunk `id`, whose file bytes are [start, start + length). */
  done(id: number, start: number, length: number): void;
}

/** Chunks of this thread's own, `count` of `bytes` each. */
function ownChunks(count: number, bytes: number): ChunkPool {
  const chunks = Array.from({ length: count }, () => new Uint8Array(bytes));
  const free = chunks.map((_, id) => id);
  return {
    // A chunk is taken only for a read ahead, and at most READS_AHEAD + 1 are in use: one is always free.
    take: async () => {
      const id = free.shift()!;
      return { id, chunk: chunks[id] };
    },
    done: id => { free.push(id); },
  };
}

/**
 * The file read in chunks, each parsed where it was read (no copy into a parse buffer): a record cut by a chunk's
 * end is copied into the next chunk's headroom, in front of its bytes (or, longer than that, into a buffer made for it).
 */
function fileSource(handle: FileHandle, readSize: number, share?: ChunkSender, headroom = HEADROOM): Source {
  const head = share ? HEADROOM : Math.max(1, Math.min(HEADROOM, readSize, headroom));
  const pool: ChunkPool = share ?? ownChunks(READS_AHEAD + 1, head + readSize);
  let position = 0;
  let consumed = 0;
  /** The chunk being parsed (-1: none, or a buffer of its own), and its file bytes. */
  let current = -1;
  let currentStart = 0;
  let currentLength = 0;
  let ended = false;
  const ahead: Promise<{ id: number; chunk: Uint8Array; n: number }>[] = [];
  const fetch = async (): Promise<{ id: number; chunk: Uint8Array; n: number }> => {
    const at = position;
    position += readSize;
    const { id, chunk } = await pool.take();
    const r = await handle.read(chunk, head, readSize, at);
    return { id, chunk, n: r.bytesRead };
  };
  const release = () => {
    if (current >= 0) pool.done(current, currentStart, currentLength);
    current = -1;
  };
  return {
    async next(buf, start, end) {
      if (ended) return undefined;
      while (ahead.length < READS_AHEAD) ahead.push(fetch());
      const { id, chunk, n } = await ahead.shift()!;
      const tail = end - start;
      if (n === 0) {
        pool.done(id, head, 0);
        ended = true;
        return undefined;
      }
      consumed += n;
      let parsed: Parsed;
      if (tail <= head) {
        if (tail) chunk.set(buf.subarray(start, end), head - tail);
        release();
        current = id;
        currentStart = head;
        currentLength = n;
        parsed = { buf: chunk, start: head - tail, end: head + n, fresh: head };
      } else {
        // A record longer than the headroom (a pcapng block): it and the chunk's bytes in a buffer of their own.
        const joined = new Uint8Array(tail + n);
        joined.set(buf.subarray(start, end));
        joined.set(chunk.subarray(head, head + n), tail);
        release();
        pool.done(id, head, n);
        parsed = { buf: joined, start: 0, end: tail + n, fresh: tail };
      }
      ahead.push(fetch()); // into the chunk just given back (or, shared, the next the other thread frees)
      return parsed;
    },
    consumed: () => consumed,
    close: async () => {
      // A read stopped early (damage) passes on the chunk it stopped in: the other thread stops where this one did.
      release();
      await Promise.all(ahead.map(a => a.catch(() => undefined)));
      await handle.close();
    },
  };
}

/**
 * Bytes handed over by another thread's read of the file, parsed in the chunks they came in (no copy into a parse
 * buffer): a record cut by a chunk's end is copied into the next chunk's headroom, as fileSource does.
 */
function chunkSource(from: ChunkReceiver): Source {
  let consumed = 0;
  return {
    async next(buf, start, end) {
      const tail = end - start;
      // The tail is in the chunk given back once the next one is here: copied out first (a record at most).
      const saved = tail ? buf.slice(start, end) : undefined;
      const bytes = await from.next();
      if (!bytes) return undefined;
      consumed += bytes.length;
      const head = bytes.byteOffset; // the sender read the chunk's bytes after its headroom
      if (tail <= head) {
        const chunk = new Uint8Array(bytes.buffer);
        if (saved) chunk.set(saved, head - tail);
        return { buf: chunk, start: head - tail, end: head + bytes.length, fresh: head };
      }
      // A record longer than the headroom (a pcapng block): it and the chunk's bytes in a buffer of their own.
      const joined = new Uint8Array(tail + bytes.length);
      joined.set(saved!);
      joined.set(bytes, tail);
      return { buf: joined, start: 0, end: tail + bytes.length, fresh: tail };
    },
    consumed: () => consumed,
    close: async () => from.giveBack(),
  };
}

function gzipSource(file: string): Source {
  const gunzipped = gunzipFile(file, 1 << 20, { chunkSize: 1 << 18 });
  const chunks: AsyncIterator<Buffer> = gunzipped.stream[Symbol.asyncIterator]();
  let pending: Buffer | undefined;
  let ended = false;
  const source: Source = {
    async read(buf, at) {
      let n = 0;
      while (at + n < buf.length && !ended) {
        if (!pending?.length) {
          try {
            const next = await chunks.next();
            if (next.done) ended = true;
            else pending = next.value;
          } catch (e) {
            ended = true;
            source.failure = (e as Error).message;
          }
          continue;
        }
        const take = Math.min(pending.length, buf.length - at - n);
        buf.set(pending.subarray(0, take), at + n);
        pending = pending.subarray(take);
        n += take;
      }
      return n;
    },
    consumed: gunzipped.consumed,
    async close() {
      gunzipped.stream.destroy();
    },
  };
  return source;
}

/** The one record object a reader hands out: its data view is made only when asked for. */
class ReusedRecord implements CaptureRecord {
  offset = 0;
  recordLength = 0;
  micros = 0;
  nanos = 0;
  caplen = 0;
  origlen = 0;
  linkType = 0;
  interfaceId = 0;
  bytes: Uint8Array = new Uint8Array(0);
  dataOffset = 0;

  get data(): Uint8Array {
    return this.bytes.subarray(this.dataOffset, this.dataOffset + this.caplen);
  }
}

/** A pcapng interface: its link type, snaplen, and how its timestamps become µs + ns. */
interface Interface {
  linkType: number;
  snaplen: number;
  /** Units per second: 1e6 takes the fast path, 1e9 exact integer math, anything else BigInt. */
  unitsPerSecond: number;
  bigUnitsPerSecond: bigint;
  offsetMicros: number;
  /** The if_tsresol byte as written (6 when absent). */
  tsresol: number;
}

/** Whether a capture file is gzip-compressed (by its content, not its name). */
export async function isGzipCapture(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    return await startsWithGzip(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Reads every packet record of `file` (pcap or pcapng, gzipped or not) and hands each to onRecord, one reused
 * object valid only during the call. Damage inside the file goes to onProblem and the records before it are
 * kept; the promise rejects only when the file cannot be opened (a system error) or is not a capture at all
 * (a CaptureFormatError).
 */
export async function readCapture(
  file: string,
  onRecord: (record: CaptureRecord) => void,
  options: ReadOptions = {},
): Promise<CaptureInfo> {
  if (options.chunks) return readFrom(file, false, chunkSource(options.chunks), onRecord, options);
  const share = options.shareWith;
  try {
    const handle = await open(file, 'r');
    let source: Source;
    let gzip: boolean;
    try {
      gzip = await startsWithGzip(handle);
      if (gzip && share) throw new Error(`${file}: a gzipped capture's chunks are not shared`);
      // A look at the first records needs no 20 MiB of buffers (analyze looks at thousands of captures).
      const readSize = share ? READ_AHEAD : options.bufferSize !== undefined ? Math.max(MIN_READ, options.bufferSize)
        : options.maxRecords !== undefined ? FIRST_LOOK : READ_AHEAD;
      source = gzip ? gzipSource(file) : fileSource(handle, readSize, share, options.bufferSize);
    } catch (e) {
      await handle.close();
      throw e;
    }
    if (gzip) await handle.close();
    return await readFrom(file, gzip, source, onRecord, options);
  } catch (e) {
    // The other thread's read ends as this one did.
    share?.end((e as Error).message);
    throw e;
  } finally {
    share?.end();
  }
}

async function readFrom(file: string, gzip: boolean, source: Source, onRecord: (record: CaptureRecord) => void, options: ReadOptions): Promise<CaptureInfo> {
  try {
    return await new Reader(file, gzip, source, onRecord, options).read();
  } finally {
    await source.close();
  }
}

class Reader {
  private buf: Uint8Array;
  private view: DataView;
  /** Unparsed bytes are buf[start, end); buf[0] is at stream offset `base`. */
  private start = 0;
  private end = 0;
  private base = 0;
  private eof = false;
  private reported = 0;
  private infoSent = false;
  private readonly info: CaptureInfo;
  private readonly record = new ReusedRecord();
  /** The packet block being read (reused). */
  private readonly fields: PacketBlockFields = { interfaceId: 0, high: 0, low: 0, caplen: 0, origlen: 0, dataOffset: 0 };
  /** Records longer than the snaplen: reported once, at the first, with their number. */
  private overSnaplen = 0;
  /** Records handed out so far. */
  private delivered = 0;
  private firstOverSnaplen = { offset: 0, caplen: 0 };

  constructor(
    private readonly file: string,
    gzip: boolean,
    private readonly source: Source,
    private readonly onRecord: (record: CaptureRecord) => void,
    private readonly options: ReadOptions,
  ) {
    // A source parsed where it reads needs no buffer of the reader's own.
    this.buf = new Uint8Array(source.next ? 0 : Math.max(1, options.bufferSize ?? (options.maxRecords !== undefined ? FIRST_LOOK : BUFFER_SIZE)));
    this.view = new DataView(this.buf.buffer);
    this.info = {
      format: 'pcap', gzip, littleEndian: true, nanosecond: false, snaplen: 0, linkTypes: [], interfaces: [], sections: [], headerLength: 0,
    };
  }

  async read(): Promise<CaptureInfo> {
    await this.need(4);
    const have = this.end - this.start;
    if (have === 0) throw new CaptureFormatError(this.file, 0, `empty file${this.gzipNote()}`);
    const magic = have >= 4 ? this.view.getUint32(this.start, false) : 0;
    if (magic === SHB) await this.readPcapng();
    else if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d || magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) await this.readPcap(magic);
    else {
      const first = Array.from(this.buf.subarray(this.start, this.start + Math.min(4, have)), b => b.toString(16).padStart(2, '0')).join(' ');
      throw new CaptureFormatError(this.file, 0, `not a pcap or pcapng file (first bytes ${first})${this.gzipNote()}`);
    }
    if (this.overSnaplen > 0) {
      const { offset, caplen } = this.firstOverSnaplen;
      const more = this.overSnaplen > 1 ? ` (and ${this.overSnaplen - 1} more records like it)` : '';
      this.problem(offset, `packet record has caplen ${caplen}, more than the snaplen${more}`, 'warning');
    }
    if (this.source.failure) {
      const reached = this.base + this.end;
      this.problem(this.base + this.start, `gzip stream is damaged after ${reached} decompressed bytes (${this.source.failure})`, 'error');
    }
    // After a fatal problem the rest is not parsed, but onData still sees every byte (the caller hashes them).
    while (this.options.onData && !this.eof) {
      this.start = this.end;
      await this.more();
    }
    if (!this.info.headerLength) this.info.headerLength = this.base + this.end;
    this.sendInfo();
    this.options.onProgress?.(this.source.consumed());
    return this.info;
  }

  private gzipNote(): string {
    return this.source.failure ? ` (gzip: ${this.source.failure})` : '';
  }

  /** Buffers at least n unparsed bytes; false if the stream ends first. */
  private async need(n: number): Promise<boolean> {
    while (this.end - this.start < n) {
      if (this.eof) return false;
      await this.more();
    }
    return true;
  }

  /** Moves the unparsed tail to the front (growing the buffer if the tail fills it) and reads once. */
  private async more(): Promise<void> {
    if (this.source.next) return this.nextChunk(this.source.next);
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    } else if (this.end === this.buf.length) {
      this.buf = doubled(this.buf);
      this.view = new DataView(this.buf.buffer);
    }
    const n = await this.source.read!(this.buf, this.end);
    if (n === 0) this.eof = true;
    else {
      // A consumer that passes the bytes on (into Zeek) slows the reading down to its pace.
      const passing = this.options.onData?.(this.buf.subarray(this.end, this.end + n));
      if (passing) await passing;
    }
    this.end += n;
    this.progress();
  }

  /** more() for a source parsed where it reads: the next chunk, with what is left unparsed in front of it. */
  private async nextChunk(next: NonNullable<Source['next']>): Promise<void> {
    const got = await next(this.buf, this.start, this.end);
    if (!got) {
      this.eof = true;
    } else {
      // The stream offset of the first unparsed byte stays where it was.
      this.base += this.start - got.start;
      if (got.buf !== this.buf) {
        this.buf = got.buf;
        this.view = new DataView(got.buf.buffer, got.buf.byteOffset, got.buf.byteLength);
      }
      this.start = got.start;
      this.end = got.end;
      // A consumer that passes the bytes on (into Zeek) slows the reading down to its pace.
      const passing = this.options.onData?.(got.buf.subarray(got.fresh, got.end));
      if (passing) await passing;
    }
    this.progress();
  }

  private progress(): void {
    const consumed = this.source.consumed();
    if (consumed - this.reported >= PROGRESS_STEP) {
      this.reported = consumed;
      this.options.onProgress?.(consumed);
    }
  }

  private overSnaplenAt(offset: number, caplen: number): void {
    if (this.overSnaplen++ === 0) this.firstOverSnaplen = { offset, caplen };
  }

  private problem(offset: number, message: string, severity: 'error' | 'warning'): void {
    this.options.onProblem?.({ file: this.file, offset, message, severity });
  }

  private sendInfo(): void {
    if (this.infoSent) return;
    this.infoSent = true;
    this.options.onInfo?.(this.info);
  }

  /** Reports the record the stream ends inside, if any (nothing after it can be read). */
  private truncated(what: string, length: number): void {
    const have = this.end - this.start;
    if (have === 0 || this.source.failure) return; // a broken gzip stream is reported as such
    this.problem(this.base + this.start, `file ends inside a ${what}: ${have} of ${length} bytes present`, 'error');
  }

  private async readPcap(magic: number): Promise<void> {
    const info = this.info;
    const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
    const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
    if (!(await this.need(24))) {
      throw new CaptureFormatError(this.file, 0, `pcap file header truncated: ${this.end - this.start} of 24 bytes${this.gzipNote()}`);
    }
    info.littleEndian = le;
    info.nanosecond = nano;
    const header = this.start;
    info.snaplen = this.view.getUint32(header + 16, le);
    // The upper bits of this field may carry the FCS length; the link type is the low 16 bits.
    const linkType = this.view.getUint32(header + 20, le) & 0xffff;
    info.linkTypes.push(linkType);
    info.interfaces.push({ linkType, snaplen: info.snaplen, tsresol: nano ? 9 : 6, tsoffset: 0 });
    info.headerLength = 24;
    this.start = header + 24;
    this.sendInfo();

    const snaplen = info.snaplen || MAX_SNAPLEN;
    const fatalCaplen = Math.max(snaplen, MAX_SNAPLEN);
    const record = this.record;
    const onRecord = this.onRecord;
    record.linkType = linkType;
    record.interfaceId = 0;
    for (;;) {
      const buf = this.buf;
      const view = this.view;
      const end = this.end;
      const base = this.base;
      let pos = this.start;
      while (end - pos >= 16) {
        const caplen = view.getUint32(pos + 8, le);
        if (caplen > fatalCaplen) {
          this.start = pos;
          this.problem(base + pos, `packet record claims caplen ${caplen}, more than the snaplen ${info.snaplen} and ${MAX_SNAPLEN}: the file is damaged here, reading stops`, 'error');
          return;
        }
        const next = pos + 16 + caplen;
        if (next > end) break;
        if (caplen > snaplen) this.overSnaplenAt(base + pos, caplen);
        const seconds = view.getUint32(pos, le);
        const fraction = view.getUint32(pos + 4, le);
        if (nano) {
          record.micros = seconds * 1e6 + Math.floor(fraction / 1000);
          record.nanos = fraction % 1000;
        } else {
          record.micros = seconds * 1e6 + fraction;
          record.nanos = 0;
        }
        record.offset = base + pos;
        record.recordLength = 16 + caplen;
        record.caplen = caplen;
        record.origlen = view.getUint32(pos + 12, le);
        record.bytes = buf;
        record.dataOffset = pos + 16;
        onRecord(record);
        pos = next;
        if (++this.delivered === this.options.maxRecords) { this.start = pos; return; }
      }
      this.start = pos;
      if (this.eof) break;
      await this.more();
    }
    const have = this.end - this.start;
    this.truncated('packet record', have >= 16 ? 16 + this.view.getUint32(this.start + 8, le) : 16);
  }

  private async readPcapng(): Promise<void> {
    const info = this.info;
    info.format = 'pcapng';
    // Interfaces of all sections in one list: record.interfaceId indexes it (and info.linkTypes), so an EPB's
    // per-section interface id is offset by the number of interfaces in the sections before.
    const interfaces: Interface[] = [];
    let sectionStart = 0;
    let le = true;
    let firstSection = true;
    let unlimitedSnaplen = false;
    for (;;) {
      const end = this.end;
      let pos = this.start;
      while (end - pos >= 12) {
        const view = this.view;
        const at = this.base + pos;
        const type = view.getUint32(pos, le);
        if (type === SHB) {
          const order = view.getUint32(pos + 8, true);
          if (order !== 0x1a2b3c4d && order !== 0x4d3c2b1a) {
            if (firstSection) throw new CaptureFormatError(this.file, at, `not a pcapng file (section header byte-order magic ${order.toString(16)})`);
            this.start = pos;
            this.problem(at, `section header with a bad byte-order magic (${order.toString(16)}): reading stops`, 'error');
            return;
          }
          le = order === 0x1a2b3c4d;
        }
        const length = view.getUint32(pos + 4, le);
        if (length % 4 !== 0 || length < 12 || length > MAX_BLOCK || (type === SHB && length < 28)) {
          if (firstSection) throw new CaptureFormatError(this.file, at, `not a pcapng file (section header length ${length})`);
          this.start = pos;
          this.problem(at, `block (type ${type}) has a bad length ${length}: reading stops`, 'error');
          return;
        }
        if (pos + length > end) break;
        if (view.getUint32(pos + length - 4, le) !== length) {
          if (firstSection) throw new CaptureFormatError(this.file, at, `not a pcapng file (section header length ${length} does not match its trailer)`);
          this.start = pos;
          this.problem(at, `block (type ${type}) length ${length} does not match its trailing length ${view.getUint32(pos + length - 4, le)}: reading stops`, 'error');
          return;
        }
        if (type === EPB || type === SPB || type === PB) {
          if (!info.headerLength) info.headerLength = at;
          this.sendInfo();
          this.packetBlock(type, pos, length, le, interfaces, sectionStart);
          if (this.delivered === this.options.maxRecords) { this.start = pos + length; return; }
        } else if (type === SHB) {
          sectionStart = interfaces.length;
          info.sections.push({ offset: at, firstInterface: sectionStart });
          if (firstSection) info.littleEndian = le;
          firstSection = false;
        } else if (type === IDB && length >= 20) {
          const iface = readInterface(view, pos, length, le);
          interfaces.push(iface);
          info.linkTypes.push(iface.linkType);
          info.interfaces.push({ linkType: iface.linkType, snaplen: iface.snaplen, tsresol: iface.tsresol, tsoffset: iface.offsetMicros / 1e6 });
          if (iface.snaplen === 0) unlimitedSnaplen = true;
          info.snaplen = unlimitedSnaplen ? 0 : Math.max(info.snaplen, iface.snaplen);
          if (iface.unitsPerSecond > 1e6) info.nanosecond = true;
        }
        pos += length;
      }
      this.start = pos;
      if (this.eof) break;
      await this.more();
    }
    const have = this.end - this.start;
    if (firstSection) {
      throw new CaptureFormatError(this.file, this.base + this.start, `pcapng section header truncated: ${have} bytes${this.gzipNote()}`);
    }
    const type = have >= 4 ? this.view.getUint32(this.start, le) : -1;
    const length = have >= 8 ? Math.max(12, this.view.getUint32(this.start + 4, le)) : 12;
    this.truncated(type === EPB || type === SPB || type === PB ? 'packet record' : 'pcapng block', length);
  }

  private packetBlock(type: number, pos: number, length: number, le: boolean, interfaces: Interface[], sectionStart: number): void {
    const view = this.view;
    const record = this.record;
    const at = this.base + pos;
    let id = 0;
    let caplen: number;
    let origlen: number;
    let dataAt: number;
    if (type === SPB) {
      if (length < 16) return this.problem(at, `simple packet block of ${length} bytes is too short: skipped`, 'error');
      origlen = view.getUint32(pos + 8, le);
      dataAt = pos + 12;
      caplen = Math.min(origlen, length - 16);
      const first = interfaces[sectionStart];
      if (first?.snaplen) caplen = Math.min(caplen, first.snaplen);
    } else {
      if (length < 32) return this.problem(at, `packet block of ${length} bytes is too short: skipped`, 'error');
      ({ interfaceId: id, caplen, origlen, dataOffset: dataAt } = readPacketBlock(view, pos, le, type, this.fields));
      if (caplen > length - 32) {
        return this.problem(at, `packet block claims caplen ${caplen} but has room for ${length - 32} bytes: skipped`, 'error');
      }
    }
    const iface: Interface | undefined = interfaces[sectionStart + id];
    if (!iface) {
      return this.problem(at, `packet block names interface ${id}, but its section describes ${interfaces.length - sectionStart}: skipped`, 'error');
    }
    if (iface.snaplen && caplen > iface.snaplen) this.overSnaplenAt(at, caplen);
    // A Simple Packet Block has no timestamp: it keeps the previous packet's.
    if (type !== SPB) setTimestamp(record, this.fields.high, this.fields.low, iface);
    record.offset = at;
    record.recordLength = length;
    record.caplen = caplen;
    record.origlen = origlen;
    record.linkType = iface.linkType;
    record.interfaceId = sectionStart + id;
    record.bytes = this.buf;
    record.dataOffset = dataAt;
    this.onRecord(record);
    this.delivered++;
  }
}

function readInterface(view: DataView, pos: number, length: number, le: boolean): Interface {
  const iface: Interface = {
    linkType: view.getUint16(pos + 8, le),
    snaplen: view.getUint32(pos + 12, le),
    unitsPerSecond: 1e6,
    bigUnitsPerSecond: 1000000n,
    offsetMicros: 0,
    tsresol: 6,
  };
  const end = pos + length - 4;
  for (let o = pos + 16; o + 4 <= end;) {
    const code = view.getUint16(o, le);
    const size = view.getUint16(o + 2, le);
    if (code === 0 || o + 4 + size > end) break;
    if (code === OPT_TSRESOL && size >= 1) {
      const resol = view.getUint8(o + 4);
      iface.tsresol = resol;
      iface.bigUnitsPerSecond = unitsPerSecond(resol);
      iface.unitsPerSecond = Number(iface.bigUnitsPerSecond);
    } else if (code === OPT_TSOFFSET && size >= 8) {
      iface.offsetMicros = Number(view.getBigInt64(o + 4, le)) * 1e6;
    }
    o += 4 + ((size + 3) & ~3);
  }
  return iface;
}

/** A pcapng timestamp (high, low) of an interface described by its if_tsresol byte and if_tsoffset (s): µs and the ns past them. */
export function blockTime(high: number, low: number, tsresol: number, tsoffset: number): Pick<CaptureRecord, 'micros' | 'nanos'> {
  const bigUnitsPerSecond = unitsPerSecond(tsresol);
  const time = { micros: 0, nanos: 0 } as CaptureRecord;
  setTimestamp(time, high, low, { unitsPerSecond: Number(bigUnitsPerSecond), bigUnitsPerSecond, offsetMicros: tsoffset * 1e6 } as Interface);
  return time;
}

/** Sets record.micros and .nanos exactly from a 64-bit timestamp (high, low) in the interface's unit. */
function setTimestamp(record: CaptureRecord, high: number, low: number, iface: Interface): void {
  if (iface.unitsPerSecond === 1e6) {
    record.micros = high * 4294967296 + low + iface.offsetMicros;
    record.nanos = 0;
  } else if (iface.unitsPerSecond === 1e9) {
    // 2^32 ns = 4294967 µs + 296 ns: splits the count without exceeding 2^53.
    const rest = high * 296 + low;
    record.micros = high * 4294967 + Math.floor(rest / 1000) + iface.offsetMicros;
    record.nanos = rest % 1000;
  } else {
    const nanos = (((BigInt(high) << 32n) | BigInt(low)) * 1000000000n) / iface.bigUnitsPerSecond;
    record.micros = Number(nanos / 1000n) + iface.offsetMicros;
    record.nanos = Number(nanos % 1000n);
  }
}
