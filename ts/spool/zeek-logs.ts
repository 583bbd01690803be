// The logs of analyze --follow's running Zeek (written by follow-writer.ts into
// its output directory), taken batch by batch: a log's rows before a batch
// marker end at the byte its flush at the marker's time recorded. Rows are
// appended to the database's log tables on the caller's connection, inside the
// transaction that also marks the batch's captures analyzed.
import * as arrow from 'apache-arrow';
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { conformBatch } from '../arrow/conform';
import { ArrowAppender, nativeBridge } from '../duckdb/bridge';
import { Database } from '../duckdb/database';
import { LogTables } from '../duckdb/log-tables';
import { arrowSchema } from '../schema/arrow-schema';
import { LogSchema } from '../schema/log-schema';
import { AppendedLines } from './appended-lines';
import { ARROWS, FLUSHES, SCHEMA } from './follow-writer';

/** The file the follow script appends a line to as it handles each marker: its network time and the logs written to so far. */
const MARKS_FILE = 'zeek_arrow_marks';

const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** A log's flush: the network time (µs) and the bytes of its .arrows file then. */
interface Flush { micros: number; bytes: number }

/** Byte ranges of each log, by log path: what one commit takes. */
export type LogRanges = Map<string, { from: number; to: number }>;

export class ZeekLogs {
  /** Bytes of each log's .arrows file taken (committed, or left out as replayed) so far. */
  private readonly taken = new Map<string, number>();
  private readonly marksFile: AppendedLines;
  /** The marker lines so far (a line a batch, or a cluster logger's round when its logs changed). */
  private readonly markLines: string[] = [];
  /**
   * Each log's flushes not yet behind a commit (a log flushes every second, for days), and the most bytes of those
   * dropped: they came before a marker that was committed, so every later commit takes at least that far.
   */
  private readonly flushFiles = new Map<string, { lines: AppendedLines; flushes: Flush[]; dropped: number }>();
  /** Per log read by flushHolding: its bytes read so far, and the nodes seen at each marker in them. */
  private readonly markersSeen = new Map<string, { bytes: number; nodes: Map<string, Set<string>> }>();

  /** `cwd`: the Zeek's working directory (the marks file); `dir`: its logs; `internal`: logs of zeek-arrow's own, never taken. */
  constructor(cwd: string, readonly dir: string, private readonly internal: string[] = []) {
    this.marksFile = new AppendedLines(join(cwd, MARKS_FILE));
  }

  /** The lines of the markers Zeek has handled so far. */
  private marks(): string[] {
    this.markLines.push(...this.marksFile.read());
    return this.markLines;
  }

  /** Markers Zeek has handled so far. */
  marksHandled(): number {
    return this.marks().length;
  }

  /** The logs written to before the last marker handled (their writers may not have started yet). */
  writtenAtLastMark(): string[] {
    return this.marks().at(-1)?.split(' ').slice(1) ?? [];
  }

  /** Log paths Zeek has started a writer for. */
  private logs(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter(f => f.endsWith(SCHEMA)).map(f => f.slice(0, -SCHEMA.length)).filter(l => !this.internal.includes(l));
  }

  /** A cluster logger's flush rounds: the logs it wrote at the last round at or before `micros` (its line comes before its flushes). */
  writtenAtRound(micros: number): string[] | undefined {
    let logs: string[] | undefined;
    for (const line of this.marks()) {
      const [time, ...paths] = line.split(' ');
      if (Math.round(Number(time) * 1e6) > micros) break;
      logs = paths;
    }
    return logs;
  }

  /**
   * The network time of the first flush of `log` (a log of string columns `node` and `marker`, the workers' markers)
   * whose rows hold a row of each of `nodes` at the marker `marker` (its "%.6f" text); undefined while there is none.
   * `after`: a flush time to look after (the last found).
   */
  flushHolding(log: string, nodes: string[], marker: string, after: number): number | undefined {
    const file = join(this.dir, log + ARROWS);
    let seen = this.markersSeen.get(log);
    if (!seen) this.markersSeen.set(log, seen = { bytes: 0, nodes: new Map() });
    const flushes = this.flushFile(log);
    // Flushes read already and at or before `after` (which only grows) are looked at by no later call.
    const read = seen.bytes;
    flushes.flushes = flushes.flushes.filter(f => f.micros > after || f.bytes > read);
    for (const f of flushes.flushes) {
      // Each flush's rows are read once: the nodes seen at each marker so far are kept.
      if (f.bytes > seen.bytes) {
        for (const batch of readBatches(file, seen.bytes, f.bytes)) {
          const node = batch.getChild('node')!;
          const at = batch.getChild('marker')!;
          for (let i = 0; i < batch.numRows; i++) {
            const m = String(at.get(i));
            let set = seen.nodes.get(m);
            if (!set) seen.nodes.set(m, set = new Set());
            set.add(String(node.get(i)));
          }
        }
        seen.bytes = f.bytes;
      }
      if (f.micros <= after) continue;
      const at = seen.nodes.get(marker);
      if (at && nodes.every(n => at.has(n))) return f.micros;
    }
    return undefined;
  }

  private flushes(log: string): Flush[] {
    return this.flushFile(log).flushes;
  }

  private flushFile(log: string): { lines: AppendedLines; flushes: Flush[]; dropped: number } {
    let file = this.flushFiles.get(log);
    if (!file) this.flushFiles.set(log, file = { lines: new AppendedLines(join(this.dir, log + FLUSHES)), flushes: [], dropped: 0 });
    for (const line of file.lines.read()) {
      const [time, bytes] = line.split(' ');
      file.flushes.push({ micros: Math.round(Number(time) * 1e6), bytes: Number(bytes) });
    }
    return file;
  }

  /** The logs of `logs` that have not flushed at or after the marker at `micros` yet. */
  notFlushedAt(micros: number, logs: string[]): string[] {
    return logs.filter(log => !this.flushes(log).some(f => f.micros >= micros));
  }

  /** Each log's rows not taken yet that come before the marker at `micros`. */
  rangesBefore(micros: number): LogRanges {
    const ranges: LogRanges = new Map();
    for (const log of this.logs()) {
      const file = this.flushFile(log);
      let to = Math.max(this.taken.get(log) ?? 0, file.dropped);
      for (const f of file.flushes) if (f.micros <= micros) to = Math.max(to, f.bytes);
      const from = this.taken.get(log) ?? 0;
      if (to > from) ranges.set(log, { from, to });
      // Markers only grow: flushes before this one matter to no later commit but for their bytes, kept in `dropped`.
      const kept = file.flushes.filter(f => f.micros >= micros);
      if (kept.length < file.flushes.length) {
        for (const f of file.flushes) if (f.micros < micros) file.dropped = Math.max(file.dropped, f.bytes);
        file.flushes = kept;
      }
    }
    return ranges;
  }

  /** Every log's rows, once Zeek has ended (each file ends with the stream's end marker). */
  wholeFiles(): LogRanges {
    const ranges: LogRanges = new Map();
    for (const log of this.logs()) {
      const file = join(this.dir, log + ARROWS);
      const from = this.taken.get(log) ?? 0;
      const to = existsSync(file) ? statSync(file).size - END_OF_STREAM.length : 0;
      if (to > from) ranges.set(log, { from, to });
    }
    return ranges;
  }

  /** Marks the ranges taken (after their commit, or to leave a replay's rows out); their disk blocks are freed. */
  take(ranges: LogRanges): void {
    for (const [log, { from, to }] of ranges) {
      this.taken.set(log, to);
      // A run lasts days: the rows in the database are not read here again, so they do not stay on disk twice.
      const file = join(this.dir, log + ARROWS);
      const start = Math.max(from, schemaEndOf(file));
      if (to > start) nativeBridge().releaseBytes(file, start, to - start);
    }
  }

  /** Appends the rows of `ranges` to the log tables of `db` (inside the caller's transaction); returns rows per log. */
  async append(db: Database, ranges: LogRanges): Promise<Record<string, number>> {
    const added: Record<string, number> = {};
    if (!ranges.size) return added;
    const tables = await LogTables.open(db);
    for (const [log, { from, to }] of ranges) {
      const schema = LogSchema.fromJSON(JSON.parse(readFileSync(join(this.dir, log + SCHEMA), 'utf8')));
      const batches = readBatches(join(this.dir, log + ARROWS), from, to);
      if (!batches.length) continue;
      const table = await tables.ensure(schema);
      const target = arrowSchema(table);
      const appender = new ArrowAppender(db.connection, tables.tableOf(schema.path), target);
      try {
        for (const batch of batches) {
          appender.append(conformBatch(batch, target));
          added[schema.path] = (added[schema.path] ?? 0) + batch.numRows;
        }
      } finally {
        appender.close();
      }
    }
    return added;
  }
}

/** Reads `length` bytes at `position` of an open file, all of them. */
function readAt(fd: number, file: string, position: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  const got = readSync(fd, bytes, 0, length, position);
  if (got !== length) throw new Error(`${file}: ${got} bytes at byte ${position}, ${length} expected`);
  return bytes;
}

/** Where an Arrow IPC stream file's schema message ends (its first message: continuation marker, length, body). */
function schemaEnd(fd: number, file: string): number {
  return 8 + readAt(fd, file, 0, 8).readInt32LE(4);
}

function schemaEndOf(file: string): number {
  const fd = openSync(file, 'r');
  try {
    return schemaEnd(fd, file);
  } finally {
    closeSync(fd);
  }
}

/** The record batches in bytes [from, to) of an Arrow IPC stream file (the schema message is read from its start). */
function readBatches(file: string, from: number, to: number): arrow.RecordBatch[] {
  const fd = openSync(file, 'r');
  try {
    // Only the schema and the range are read: the file holds every row since the run began.
    const schema = schemaEnd(fd, file);
    const start = Math.max(from, schema);
    if (to <= start) return [];
    const stream = Buffer.concat([readAt(fd, file, 0, schema), readAt(fd, file, start, to - start), END_OF_STREAM]);
    return [...arrow.RecordBatchReader.from(stream)];
  } finally {
    closeSync(fd);
  }
}
