import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Database } from '../duckdb/database';
import { ArrowAppender } from '../duckdb/bridge';
import { literal } from '../schema/mapping';
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
}

const FINGERPRINT_BYTES = 1 << 20;

/**
 * A quick identity to pass over captures already indexed without reading them:
 * the size and the SHA-256 of the first and last MiB. New captures are then
 * read once, and known by the SHA-256 of all their (decompressed) content.
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

/** Indexes captures into `db`: where every flow's packets are, by file and byte offset. */
export async function indexCaptures(db: Database, files: string[], options: IndexOptions = {}): Promise<IndexSummary> {
  await ensurePcapTables(db);
  const summary: IndexSummary = { captures: 0, skipped: 0, packets: 0, flows: 0, bytes: 0, problems: [] };
  const known = new Map((await db.all(`SELECT fingerprint, path FROM ${PCAP}.captures`)).map(r => [String(r.fingerprint), String(r.path)]));
  const knownContent = new Set((await db.all(`SELECT sha256 FROM ${PCAP}.captures`)).map(r => String(r.sha256)));

  const todo: { file: string; size: number; fingerprint: string }[] = [];
  for (const file of files) {
    try {
      const { size } = await stat(file);
      const print = await fingerprint(file, size);
      const knownAt = known.get(print);
      if (knownAt !== undefined) {
        summary.skipped++;
        // Known by content, not name: a capture that moved is found at its new place.
        if (knownAt !== resolve(file) && !existsSync(knownAt)) {
          await db.run(`UPDATE ${PCAP}.captures SET path = ${literal(resolve(file))} WHERE fingerprint = ${literal(print)}`);
          known.set(print, resolve(file));
        }
        continue;
      }
      known.set(print, resolve(file));
      todo.push({ file, size, fingerprint: print });
    } catch (e) {
      summary.problems.push({ file, offset: 0, severity: 'error', message: `cannot read: ${(e as Error).message.replace(/, \w+ '[^']*'$/, '')}` });
    }
  }
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
        ${segments.packets}, [${problems.map(p => literal(`${p.offset}: ${p.message}`)).join(', ')}]::VARCHAR[],
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
