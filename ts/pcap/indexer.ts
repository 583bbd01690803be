import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Database } from '../duckdb/database';
import { literal } from '../schema/sql-text';
import { availableParallelism } from 'node:os';
import type * as Store from './store-capture';
import { PCAP, dropCaptures, ensurePcapTables } from './index-tables';
import { ScannedCapture, scanCapture } from './scan-capture';
import { ScanWorkers } from './scan-workers';
import { CaptureProblem } from './types';
import { ensureConnPacketsView } from './conn-packets';
import { ContentHasher } from './content-hash';
import { fingerprint } from './fingerprint';
import { notRegular } from './capture-files';
import { systemReason } from '../common/system-error';

export { fingerprint };

export interface IndexSummary {
  captures: number;
  skipped: number;
  packets: number;
  flows: number;
  bytes: number;
  problems: CaptureProblem[];
}

export interface IndexOptions {
  /** Called as bytes of the captures are read (for a progress bar). */
  onProgress?: (bytesRead: number, bytesTotal: number, file: string) => void;
  /** Every byte of each new capture as it is read, in order (decompressed): to pass them on; reading waits for it. */
  onData?: (file: string, chunk: Uint8Array) => void | Promise<void>;
  /** Captures scanned at once, on worker threads (default: one per core); with onData, one, in this thread. */
  jobs?: number;
  /** Scans the captures instead, all at once in the caller's order of its own (analyze's merge by packet time). */
  scan?: (capture: NewCapture, onProgress: (bytesRead: number) => void) => Promise<ScannedCapture>;
  /** Scan threads the caller started early (it closes them); else they are started here, `jobs` of them. */
  workers?: ScanWorkers;
}

/** A capture the index does not know yet. */
export interface NewCapture {
  file: string;
  size: number;
  fingerprint: string;
  /** Captures the index has at this path with other content (the file grew or was replaced): this one supersedes them. */
  supersedes?: number[];
}

/** A capture the index knows (by content), wherever it is now. */
export interface KnownCapture {
  file: string;
  captureId: number;
  /** The Zeek whose logs of it the database holds (zeek-arrow analyze), or null: indexed only. */
  analyzedBy: string | null;
}

/** Writing a capture into the tables needs Arrow, ~40 ms to load: loaded on this thread while the scan threads work. */
const storing = () => require('./store-capture') as typeof Store;

/**
 * Which captures the index knows already, by content (not name): a known one
 * that moved is recorded at its new place. Unreadable files are problems.
 */
export interface SortedCaptures { fresh: NewCapture[]; known: KnownCapture[]; problems: CaptureProblem[] }

export async function sortOutCaptures(db: Database, files: string[]): Promise<SortedCaptures> {
  await ensurePcapTables(db);
  const rows = await db.all(`SELECT fingerprint, path, capture_id, analyzed_by FROM ${PCAP}.captures`);
  const known = new Map(rows.map(r => [String(r.fingerprint), {
    file: String(r.path), captureId: Number(r.capture_id), analyzedBy: r.analyzed_by === null ? null : String(r.analyzed_by),
  }]));
  const atPath = new Map<string, { fingerprint: string; captureId: number }[]>();
  for (const r of rows) {
    const path = String(r.path);
    atPath.set(path, [...atPath.get(path) ?? [], { fingerprint: String(r.fingerprint), captureId: Number(r.capture_id) }]);
  }
  const result: SortedCaptures = { fresh: [], known: [], problems: [] };
  const seen = new Set<string>();
  for (const file of files) {
    try {
      const found = await stat(file);
      // A FIFO or device would hang the read or never end: captures are read from files.
      const kind = notRegular(found);
      if (kind) {
        result.problems.push({ file, offset: 0, severity: 'error', message: `not a regular file (${kind}): captures are read from files` });
        continue;
      }
      const { size } = found;
      const print = await fingerprint(file, size);
      if (seen.has(print)) continue; // the same capture twice in one run
      seen.add(print);
      const capture = known.get(print);
      // What the index has at this path with other content is gone from there: its offsets point into other bytes.
      const stale = (atPath.get(resolve(file)) ?? []).filter(c => c.fingerprint !== print).map(c => c.captureId);
      if (!capture) {
        result.fresh.push({ file, size, fingerprint: print, ...stale.length ? { supersedes: stale } : {} });
        continue;
      }
      if (stale.length) await db.transaction(() => dropCaptures(db, stale));
      // Known by content, not name: a capture that moved is found at its new place.
      if (capture.file !== resolve(file) && !existsSync(capture.file)) {
        await db.run(`UPDATE ${PCAP}.captures SET path = ${literal(resolve(file))} WHERE fingerprint = ${literal(print)}`);
        capture.file = resolve(file);
      }
      result.known.push({ ...capture, file });
    } catch (e) {
      result.problems.push({ file, offset: 0, severity: 'error', message: `cannot read: ${systemReason(e)}` });
    }
  }
  return result;
}

/** Indexes captures into `db`: where every flow's packets are, by file and byte offset. */
export async function indexCaptures(db: Database, files: string[], options: IndexOptions = {}): Promise<IndexSummary> {
  return indexNewCaptures(db, await sortOutCaptures(db, files), options);
}

/** Indexes the captures sortOutCaptures() found new (in the order given); the known ones count as skipped. */
export async function indexNewCaptures(db: Database, sorted: SortedCaptures, options: IndexOptions = {}): Promise<IndexSummary> {
  const { fresh: todo, known, problems } = sorted;
  const summary: IndexSummary = { captures: 0, skipped: known.length, packets: 0, flows: 0, bytes: 0, problems };
  const total = todo.reduce((n, t) => n + t.size, 0);
  // Bytes read of captures done, and of those being read now.
  let done = 0;
  const reading = new Map<string, number>();
  const progress = (file: string, bytes: number, size: number) => {
    reading.set(file, Math.min(bytes, size));
    let now = done;
    for (const b of reading.values()) now += b;
    options.onProgress?.(now, total, file);
  };
  // Bytes passed on (into Zeek) must go in order: then captures are read one after another, here.
  const jobs = options.onData ? 1 : options.workers?.size ?? Math.max(1, Math.min(todo.length, options.jobs ?? availableParallelism()));
  const workers = options.onData || options.scan || !todo.length ? undefined : options.workers ?? new ScanWorkers(jobs);
  // No thread started when every capture is known (a second run over the same files).
  const hasher = todo.length ? new ContentHasher(Math.ceil(jobs / 2)) : undefined;
  const start = (capture: NewCapture) => {
    const { file, size } = capture;
    const hashing = hasher!.hashFile(file);
    hashing.catch(() => undefined); // a failure is reported when stored, after the scan
    const onProgress = (bytes: number) => progress(file, bytes, size);
    const scanning = options.scan ? options.scan(capture, onProgress)
      : workers ? workers.scan(file, onProgress)
      : scanCapture(file, { onProgress, onData: options.onData && (chunk => options.onData!(file, chunk)) });
    scanning.catch(() => undefined);
    return { hashing, scanning };
  };
  try {
    // Scans run ahead on the workers; results are stored in the order given (capture ids follow it), a few waiting at most.
    const ahead = options.scan ? todo.length : options.onData ? 1 : 2 * jobs;
    const started: ReturnType<typeof start>[] = [];
    for (let i = 0; i < todo.length; i++) {
      while (started.length < Math.min(todo.length, i + ahead)) started.push(start(todo[started.length]));
      if (i === 0) await new Promise(setImmediate).then(storing); // Arrow loads here while the first captures are scanned
      await store(todo[i], started[i]);
      started[i] = undefined!; // its columns can go
      reading.delete(todo[i].file);
      done += todo[i].size;
    }
  } finally {
    await Promise.all([hasher?.close(), options.workers ? undefined : workers?.close()]);
  }
  await ensureConnPacketsView(db);
  return summary;

  async function store({ file, size, fingerprint: print, supersedes }: NewCapture, { hashing, scanning }: ReturnType<typeof start>): Promise<void> {
    let scanned: ScannedCapture;
    try {
      scanned = await scanning;
    } catch (e) {
      summary.problems.push({ file, offset: 0, severity: 'error', message: (e as Error).message });
      return;
    }
    let sha256: string;
    try {
      sha256 = await hashing;
    } catch (e) {
      summary.problems.push({ file, offset: 0, severity: 'error', message: `cannot hash: ${(e as Error).message}` });
      return;
    }
    const { problems } = scanned;

    summary.flows += await storing().addCapture(db, { file, size, fingerprint: print, sha256, scanned, supersedes });
    summary.captures++;
    summary.packets += scanned.packets;
    summary.bytes += size;
    summary.problems.push(...problems);
  }
}
