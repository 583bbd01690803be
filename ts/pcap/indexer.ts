import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Database } from '../duckdb/database';
import { ArrowAppender } from '../duckdb/bridge';
import { literal } from '../duckdb/sql-text';
import { readCapture } from './capture-reader';
import { decodePacket } from './decode';
import { FlowSegments } from './flow-segments';
import { PCAP, ensurePcapTables, finishIndex } from './index-tables';
import { CaptureInfo, CaptureProblem, DecodedPacket } from './types';
import { ensureConnPacketsView } from './conn-packets';
import { ContentHasher } from './content-hash';

export interface IndexProblem extends CaptureProblem {}

export interface IndexSummary {
  captures: number;
  skipped: number;
  packets: number;
  flows: number;
  bytes: number;
  problems: IndexProblem[];
}

export interface IndexOptions {
  /** Called as bytes of the captures are read (for a progress bar). */
  onProgress?: (bytesRead: number, bytesTotal: number, file: string) => void;
  /** Every byte of each new capture as it is read, in order (decompressed): to pass them on; reading waits for it. */
  onData?: (file: string, chunk: Uint8Array) => void | Promise<void>;
}

/** A capture the index does not know yet. */
export interface NewCapture {
  file: string;
  size: number;
  fingerprint: string;
}

/** A capture the index knows (by content), wherever it is now. */
export interface KnownCapture {
  file: string;
  captureId: number;
  /** The Zeek whose logs of it the database holds (zeek-arrow analyze), or null: indexed only. */
  analyzedBy: string | null;
}

const FINGERPRINT_BYTES = 1 << 20;

/**
 * A quick identity to pass over captures already indexed without reading them:
 * the size and the SHA-256 of the first and last MiB. New captures are then
 * read once; the table keeps the SHA-256 of all their bytes too.
 */
export async function fingerprint(file: string, size: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const hash = createHash('sha256').update(String(size));
    const head = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
    await handle.read(head, 0, head.length, 0);
    hash.update(head);
    if (size > FINGERPRINT_BYTES) {
      const tail = Buffer.alloc(Math.min(size - FINGERPRINT_BYTES, FINGERPRINT_BYTES));
      await handle.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

function newDecoded(): DecodedPacket {
  return { layers: [], count: 0 };
}

/**
 * Which captures the index knows already, by content (not name): a known one
 * that moved is recorded at its new place. Unreadable files are problems.
 */
export async function sortOutCaptures(db: Database, files: string[]): Promise<{ fresh: NewCapture[]; known: KnownCapture[]; problems: IndexProblem[] }> {
  await ensurePcapTables(db);
  const rows = await db.all(`SELECT fingerprint, path, capture_id, analyzed_by FROM ${PCAP}.captures`);
  const known = new Map(rows.map(r => [String(r.fingerprint), {
    file: String(r.path), captureId: Number(r.capture_id), analyzedBy: r.analyzed_by === null ? null : String(r.analyzed_by),
  }]));
  const result = { fresh: [] as NewCapture[], known: [] as KnownCapture[], problems: [] as IndexProblem[] };
  const seen = new Set<string>();
  for (const file of files) {
    try {
      const { size } = await stat(file);
      const print = await fingerprint(file, size);
      if (seen.has(print)) continue; // the same capture twice in one run
      seen.add(print);
      const capture = known.get(print);
      if (!capture) {
        result.fresh.push({ file, size, fingerprint: print });
        continue;
      }
      // Known by content, not name: a capture that moved is found at its new place.
      if (capture.file !== resolve(file) && !existsSync(capture.file)) {
        await db.run(`UPDATE ${PCAP}.captures SET path = ${literal(resolve(file))} WHERE fingerprint = ${literal(print)}`);
        capture.file = resolve(file);
      }
      result.known.push({ ...capture, file });
    } catch (e) {
      result.problems.push({ file, offset: 0, severity: 'error', message: `cannot read: ${(e as Error).message.replace(/, \w+ '[^']*'$/, '')}` });
    }
  }
  return result;
}

/** Indexes captures into `db`: where every flow's packets are, by file and byte offset. */
export async function indexCaptures(db: Database, files: string[], options: IndexOptions = {}): Promise<IndexSummary> {
  const { fresh: todo, known, problems } = await sortOutCaptures(db, files);
  const summary: IndexSummary = { captures: 0, skipped: known.length, packets: 0, flows: 0, bytes: 0, problems };
  const knownContent = new Set((await db.all(`SELECT sha256 FROM ${PCAP}.captures`)).map(r => String(r.sha256)));
  const total = todo.reduce((n, t) => n + t.size, 0);
  let done = 0;
  const decoded = newDecoded();
  const hasher = new ContentHasher();
  try {
    for (const item of todo) await indexOne(item);
  } finally {
    await hasher.close();
  }
  await finishIndex(db);
  await ensureConnPacketsView(db);
  return summary;

  async function indexOne({ file, size, fingerprint: print }: { file: string; size: number; fingerprint: string }): Promise<void> {
    const segments = new FlowSegments();
    const problems: IndexProblem[] = [];
    let info: CaptureInfo;
    const hashing = hasher.hashFile(file);
    hashing.catch(() => undefined); // a failure is reported below, after the read
    const decodeProblems = new Map<string, { offset: number; count: number }>();
    const cutShort = { offset: 0, count: 0 };
    try {
      info = await readCapture(file, record => {
        if (record.caplen < record.origlen && cutShort.count++ === 0) cutShort.offset = record.offset;
        decodePacket(record.data, record.linkType, decoded);
        if (decoded.problem) {
          const seen = decodeProblems.get(decoded.problem);
          if (seen) seen.count++;
          else decodeProblems.set(decoded.problem, { offset: record.offset, count: 1 });
        }
        segments.add(record, decoded.layers, decoded.count);
      }, {
        onProblem: p => problems.push(p),
        onProgress: bytes => options.onProgress?.(done + Math.min(bytes, size), total, file),
        onData: options.onData && (chunk => options.onData!(file, chunk)),
      });
    } catch (e) {
      await hashing.catch(() => undefined);
      summary.problems.push({ file, offset: 0, severity: 'error', message: (e as Error).message });
      done += size;
      return;
    }
    done += size;
    // Packets the decoder could not follow (a link type it does not know, a truncated header): one warning per reason.
    // Packets the snaplen cut: indexed, but what extraction gives back is cut too.
    if (cutShort.count) {
      problems.push({ file, offset: cutShort.offset, severity: 'warning',
        message: `${cutShort.count} packet${cutShort.count === 1 ? ' was' : 's were'} captured shorter than sent (snaplen ${info.snaplen}; first at this offset)` });
    }
    for (const [reason, { offset, count }] of decodeProblems) {
      problems.push({ file, offset, severity: 'warning', message: `${count} packet${count === 1 ? '' : 's'}: ${reason} (first at this offset)` });
    }
    if (segments.packets === 0 && !problems.length) {
      problems.push({ file, offset: info.headerLength, severity: 'warning', message: 'no packets in this capture' });
    }
    let sha256: string;
    try {
      sha256 = await hashing;
    } catch (e) {
      summary.problems.push({ file, offset: 0, severity: 'error', message: `cannot hash: ${(e as Error).message}` });
      return;
    }
    if (knownContent.has(sha256)) { summary.skipped++; return; }
    knownContent.add(sha256);

    await db.transaction(async () => {
      const id = Number((await db.all(`SELECT nextval('${PCAP}.capture_ids') AS id`))[0].id);
      const { batch, unmatchedFragments } = segments.toBatch(id);
      if (unmatchedFragments.count) {
        const n = unmatchedFragments.count;
        problems.push({ file, offset: unmatchedFragments.firstOffset, severity: 'warning',
          message: `${n} later fragment${n === 1 ? '' : 's'} whose first fragment is not in this capture ${n === 1 ? 'was' : 'were'} not indexed (first at this offset)` });
      }
      const ts = (us: number) => Number.isFinite(us) ? `make_timestamptz(${us}::BIGINT)` : 'NULL';
      await db.run(`INSERT INTO ${PCAP}.captures VALUES (${id}, ${literal(resolve(file))}, ${literal(sha256)}, ${literal(print)},
        ${size}, ${info.gzip}, ${literal(info.format)}, [${info.linkTypes.join(', ')}]::USMALLINT[], ${info.nanosecond},
        ${info.littleEndian}, ${info.snaplen}, ${info.headerLength}, ${ts(segments.firstMicros)}, ${ts(segments.lastMicros)},
        ${segments.packets}, [${problems.map(p => literal(`${p.offset}: ${p.message}`)).join(', ')}]::VARCHAR[], NULL,
        [${info.interfaces.map(i => `{link_type: ${i.linkType}, snaplen: ${i.snaplen}, tsresol: ${i.tsresol}, tsoffset: ${i.tsoffset}}`).join(', ')}],
        [${info.sections.map(x => `{'offset': ${x.offset}, 'first_interface': ${x.firstInterface}}`).join(', ')}], now())`);
      summary.flows += batch.numRows;
      if (batch.numRows) {
        const appender = new ArrowAppender(db.connection, 'flow_packets', batch.schema, PCAP);
        appender.append(batch);
        appender.close();
      }
    });
    summary.captures++;
    summary.packets += segments.packets;
    summary.bytes += size;
    summary.problems.push(...problems);
  }
}
