// Cuts sessions out of the captures into one capture: every packet, its record
// as it is on disk, merged in time order across the captures it came from.
import { FileHandle, open } from 'node:fs/promises';
import { gunzipFile } from '../common/gunzip-file';
import { Input, checkOutput, writeOutput } from './output-file';
import { fingerprintOf } from './fingerprint';
import { blockTime } from './capture-reader';
import { zeekMicros } from './flow-segments';
import { Database } from '../duckdb/database';
import { literal } from '../schema/sql-text';
import { asCondition, checkCondition } from '../duckdb/condition';
import { KEY_COLUMN, PCAP, hasCommunityKeys, hasOldLayout, oldLayoutError } from './index-tables';
import { columnsOf, connSpansSql } from './conn-packets';
import { communityKey, zeekCommunityId } from './community-id';
import { parseAddress } from './address';
import { MAX_RECORD, SourceCapture, outputFormat, pcapChunks, pcapngChunks, recordSize } from './capture-writer';

export interface SessionSelection {
  uids?: string[];
  communityIds?: string[];
  /** SQL on the conn table (a WHERE clause without the keyword). */
  where?: string;
}

interface Packet {
  capture: number;
  offset: number;
  micros: number;
}

export interface ExtractSummary {
  packets: number;
  /** The uids asked for that conn does not have, and the Community IDs asked for that the index has no packets of. */
  unknownUids: string[];
  unknownCommunityIds: string[];
  captures: number;
  format: 'pcap' | 'pcapng';
  bytes: number;
}

/** A selected conn: its flow's Community ID and the span of packet times that are its own (µs; null: open). */
interface Span { communityId: string; from: number | null; next: number | null }

async function spansFor(db: Database, selection: SessionSelection): Promise<Span[]> {
  const conditions: string[] = [];
  if (selection.uids?.length) conditions.push(`uid IN (${selection.uids.map(literal).join(', ')})`);
  if (selection.where) conditions.push(asCondition(selection.where));
  if (!conditions.length) return [];
  const columns = await columnsOf(db, 'main', 'conn');
  if (!columns.size) throw new Error(`no conn table in ${db.path}: ingest conn.log or run Zeek with the Arrow writer first`);
  if (selection.where) await checkCondition(db, 'conn', selection.where, '--where');
  const selected = conditions.join(' AND ');
  // The selected conns' Community IDs first (by uid, a lookup in conn's uid index): their flows' other conns are
  // then looked up too. A selected conn without one is matched by its addresses.
  let flows: string[] | undefined;
  if (columns.has('community_id')) {
    const ids = await db.allOfOne(`SELECT DISTINCT community_id FROM main.conn WHERE ${selected}`);
    if (!ids.length) return [];
    if (ids.every(r => r.community_id !== null)) flows = ids.map(r => String(r.community_id));
  }
  const rows = await db.allOfOne(`SELECT community_id, proto_number, orig_h, orig_p, resp_h, resp_port,
      CASE WHEN isinf(from_ts) THEN NULL ELSE epoch_us(from_ts) END AS from_us, epoch_us(next_ts) AS next_us
    FROM (${connSpansSql(columns, selected, flows)})`);
  return rows.map(r => ({
    // Without a logged Community ID, the one Zeek would have logged: the packet index is keyed by it.
    communityId: r.community_id !== null ? String(r.community_id) : zeekCommunityId(Number(r.proto_number),
      parseAddress(String(r.orig_h)), parseAddress(String(r.resp_h)), Number(r.orig_p), Number(r.resp_port)),
    from: r.from_us === null ? null : Number(r.from_us),
    next: r.next_us === null ? null : Number(r.next_us),
  }));
}

/** The uids asked for that conn does not have (a lookup in its uid index). */
async function unknownUids(db: Database, uids: string[]): Promise<string[]> {
  if (!uids.length) return [];
  const found = new Set((await db.all(`SELECT DISTINCT uid FROM main.conn WHERE uid IN (${uids.map(literal).join(', ')})`)).map(r => String(r.uid)));
  return [...new Set(uids)].filter(uid => !found.has(uid));
}

/** The packets of the selected sessions: (capture, offset) once each; and the Community IDs asked for of which none were found. */
async function selectedPackets(db: Database, selection: SessionSelection): Promise<{ packets: Packet[]; unknownCommunityIds: string[] }> {
  const spans = await spansFor(db, selection);
  const byFlow = new Map<string, Span[]>();
  for (const s of spans) byFlow.set(s.communityId, [...byFlow.get(s.communityId) ?? [], s]);
  // A whole flow by its Community ID, over all time.
  for (const id of selection.communityIds ?? []) byFlow.set(id, [{ communityId: id, from: null, next: null }]);
  const unknownCommunityIds = new Set(selection.communityIds);
  if (!byFlow.size) return { packets: [], unknownCommunityIds: [...unknownCommunityIds] };
  // By their 4-byte keys (a scan of them is several times quicker than one of the text, and as quick as the ART index
  // zeek-arrow had), the rows of other flows with the same key left out below.
  const ids = [...byFlow.keys()];
  const flowRows = (keyed: boolean) => db.all(`SELECT community_id, capture_id, first_offset + unnest(offset_deltas) AS "offset",
    epoch_us(first_ts) + unnest(ts_deltas) AS micros FROM ${PCAP}.flow_packets
    WHERE ${keyed ? `${KEY_COLUMN} IN (${[...new Set(ids.map(communityKey))].join(', ')})` : `community_id IN (${ids.map(literal).join(', ')})`}`);
  const rows = await flowRows(true).catch(async (e: Error) => {
    if (await hasOldLayout(db).catch(() => false)) throw oldLayoutError(db.path);
    // An index of an older zeek-arrow, open read-only: the next index or analyze adds the keys.
    if (!(await hasCommunityKeys(db).catch(() => true))) return flowRows(false);
    throw e;
  });
  const found = new Map<string, Packet>();
  for (const r of rows) {
    const spans = byFlow.get(String(r.community_id));
    if (!spans) continue;
    unknownCommunityIds.delete(String(r.community_id));
    const micros = Number(r.micros);
    const own = spans.some(s => (s.from === null || micros >= s.from) && (s.next === null || micros < s.next));
    if (!own) continue;
    const p: Packet = { capture: Number(r.capture_id), offset: Number(r.offset), micros };
    found.set(`${p.capture}:${p.offset}`, p);
  }
  return { packets: [...found.values()], unknownCommunityIds: [...unknownCommunityIds] };
}

async function capturesById(db: Database, ids: number[]): Promise<Map<number, Capture>> {
  if (!ids.length) return new Map();
  const rows = await db.all(`SELECT capture_id, path, bytes, fingerprint, format, little_endian, nanosecond, snaplen, gzip, epoch_us(first_ts) AS first,
    to_json(interfaces) AS interfaces, to_json(sections) AS sections, COLUMNS(c -> c = 'gone_at')::VARCHAR FROM ${PCAP}.captures WHERE capture_id IN (${ids.join(', ')})`);
  return new Map(rows.map(r => [Number(r.capture_id), {
    id: Number(r.capture_id), path: String(r.path), bytes: Number(r.bytes), fingerprint: String(r.fingerprint), format: String(r.format) as 'pcap' | 'pcapng', gzip: Boolean(r.gzip),
    littleEndian: Boolean(r.little_endian), nanosecond: Boolean(r.nanosecond), snaplen: Number(r.snaplen),
    firstMicros: r.first === null ? 0 : Number(r.first),
    ...r.gone_at === null || r.gone_at === undefined ? {} : { goneAt: String(r.gone_at) },
    interfaces: (JSON.parse(String(r.interfaces)) as { link_type: number; snaplen: number; tsresol: number; tsoffset: number }[])
      .map(i => ({ linkType: i.link_type, snaplen: i.snaplen, tsresol: i.tsresol, tsoffset: i.tsoffset })),
    sections: (JSON.parse(String(r.sections)) as { offset: number; first_interface: number }[])
      .map(s => ({ offset: s.offset, firstInterface: s.first_interface })),
  }]));
}

/** Most records fit in this much. */
const FIRST_READ = 2048;
/** Records less than this apart are read together: a session's packets sit in runs, and each read costs ~0.1 ms,
 *  about what copying this much more costs. */
const NEAR = 16 << 10;
/** The most one read takes in. */
const MAX_SPAN = 4 << 20;
/** Reads under way at once. */
const READS_AT_ONCE = 4;

/**
 * Whether a capture is still what was indexed, before its offsets are trusted: its size, and the fingerprint of its
 * first and last MiB (~2 ms). A change elsewhere of the same size is caught by the record checks in readRecords().
 */
async function checkUnchanged(capture: Capture): Promise<void> {
  if (capture.goneAt) {
    throw new Error(`${capture.path}: no longer on disk (deleted from its spool, seen gone at ${capture.goneAt}): its packets cannot be extracted; its logs are kept`);
  }
  const handle = await open(capture.path, 'r').catch(e => { throw new Error(`${capture.path}: cannot read: ${(e as Error).message}`); });
  const changed = (how: string) => new Error(`${capture.path}: changed since it was indexed (${how}): index it again`);
  try {
    const { size } = await handle.stat();
    if (size !== capture.bytes) throw changed(`${size} bytes, indexed at ${capture.bytes}`);
    if (await fingerprintOf(handle, size) !== capture.fingerprint) throw changed(`same size, other bytes in its first or last MiB`);
  } finally {
    await handle.close();
  }
}

/**
 * The time the index stores for a record read at `offset` (µs as Zeek logs it); undefined for a pcapng simple packet
 * block, which carries none; NaN when the bytes are no packet record the capture could hold.
 */
function recordMicros(record: Buffer, offset: number, capture: Capture): number | undefined {
  if (record.length < (capture.format === 'pcap' ? 16 : 20)) return NaN; // a pcap record of no bytes has its 16-byte header
  if (capture.format === 'pcap') {
    const read = (i: number) => (capture.littleEndian ? record.readUInt32LE(i) : record.readUInt32BE(i));
    const fraction = read(4);
    return zeekMicros(capture.nanosecond ? { micros: read(0) * 1e6 + Math.floor(fraction / 1000), nanos: fraction % 1000 }
      : { micros: read(0) * 1e6 + fraction, nanos: 0 });
  }
  const le = record.readUInt32LE(0) < 0x10000; // the block's byte order, from its small type number
  const read = (i: number) => (le ? record.readUInt32LE(i) : record.readUInt32BE(i));
  const type = read(0);
  if (type === SIMPLE_PACKET_BLOCK) return undefined;
  if (type !== ENHANCED_PACKET_BLOCK && type !== PACKET_BLOCK) return NaN;
  // The section the block is in numbers its interfaces from its own first one.
  const section = [...capture.sections].reverse().find(s => s.offset <= offset) ?? { firstInterface: 0 };
  const local = type === ENHANCED_PACKET_BLOCK ? read(8) : le ? record.readUInt16LE(8) : record.readUInt16BE(8);
  const iface = capture.interfaces[section.firstInterface + local];
  return iface ? zeekMicros(blockTime(read(12), read(16), iface.tsresol, iface.tsoffset)) : NaN;
}

const PACKET_BLOCK = 2;
const SIMPLE_PACKET_BLOCK = 3;
const ENHANCED_PACKET_BLOCK = 6;

/** Reads records at sorted offsets (their size from their own header): runs of nearby ones in one read, or one pass through a gzip stream. */
async function readRecords(capture: Capture, packets: Packet[], into: Map<Packet, Buffer>): Promise<void> {
  await checkUnchanged(capture);
  const sorted = [...packets].sort((a, b) => a.offset - b.offset);
  const changed = (p: Packet) => new Error(`${capture.path}: no whole record at byte ${p.offset} (the file changed since it was indexed?)`);
  // Each record read must carry the time indexed for it: a record that moved in a file changed in place is not passed on.
  const keep = (p: Packet, record: Buffer) => {
    const micros = recordMicros(record, p.offset, capture);
    if (micros !== undefined && micros !== p.micros) {
      throw new Error(`${capture.path}: the record at byte ${p.offset} is not the one indexed (${Number.isNaN(micros) ? 'no packet record'
        : `time ${micros} µs`}, indexed ${p.micros} µs): the file changed since it was indexed; index it again`);
    }
    into.set(p, record);
  };
  if (!capture.gzip) {
    const runs: Packet[][] = [];
    for (const p of sorted) {
      const run = runs[runs.length - 1];
      if (run && p.offset - run[run.length - 1].offset < NEAR && p.offset + FIRST_READ - run[0].offset <= MAX_SPAN) run.push(p);
      else runs.push([p]);
    }
    const handle: FileHandle = await open(capture.path, 'r');
    const readRun = async (run: Packet[]) => {
      const from = run[0].offset;
      const span = Buffer.allocUnsafe(run[run.length - 1].offset + FIRST_READ - from);
      const { bytesRead } = await handle.read(span, 0, span.length, from);
      for (const p of run) {
        const at = p.offset - from;
        const size = at + 16 <= bytesRead ? recordSize(span.subarray(at), capture) : Infinity;
        if (at + size <= bytesRead) {
          keep(p, Buffer.from(span.subarray(at, at + size))); // a copy: the span, gaps included, can go
          continue;
        }
        // Longer than what was read with it: a read of its own.
        if (!Number.isFinite(size) || size > MAX_RECORD) throw changed(p);
        const own = Buffer.allocUnsafe(size);
        if ((await handle.read(own, 0, size, p.offset)).bytesRead !== size) throw changed(p);
        keep(p, own);
      }
    };
    try {
      let next = 0;
      const reader = async () => { while (next < runs.length) await readRun(runs[next++]); };
      await Promise.all(Array.from({ length: Math.min(READS_AT_ONCE, runs.length) }, reader));
    } finally {
      await handle.close();
    }
    return;
  }
  // Offsets are into the decompressed stream: decompress once, keep what is asked for.
  let position = 0;
  let next = 0;
  let pending: Buffer = Buffer.alloc(0);
  // gunzipFile: every byte before a truncated file's break reaches the loop, and leaving the loop closes the file.
  const { stream } = gunzipFile(capture.path, 1 << 20);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (next < sorted.length) {
        const p = sorted[next];
        const start = p.offset - position;
        if (start + 16 > pending.length) break;
        const size = recordSize(pending.subarray(start), capture);
        if (size > MAX_RECORD) throw changed(p);
        if (start + size > pending.length) break;
        keep(p, Buffer.from(pending.subarray(start, start + size)));
        next++;
      }
      const keepFrom = next < sorted.length ? Math.min(sorted[next].offset - position, pending.length) : pending.length;
      position += keepFrom;
      pending = pending.subarray(keepFrom);
      if (next >= sorted.length) break;
    }
  } catch (e) {
    if (e === stream.errored) throw new Error(`${capture.path}: cannot read: ${(e as Error).message}`);
    throw e;
  }
  if (next < sorted.length) throw changed(sorted[next]);
}

/** A capture in the index, and what ordering and reading its records needs. */
interface Capture extends SourceCapture {
  /** Its size and fingerprint when indexed. */
  bytes: number;
  fingerprint: string;
  gzip: boolean;
  firstMicros: number;
  /** When analyze --follow saw it deleted from its spool (ISO time), if it did. */
  goneAt?: string;
}

/** What extract reads, so must not write over: the database (and its write-ahead log) and every indexed capture. */
async function inputsOf(db: Database): Promise<Input[]> {
  const inputs: Input[] = db.path === ':memory:' || db.path === '' ? []
    : [{ path: db.path, what: 'the database' }, { path: `${db.path}.wal`, what: "the database's write-ahead log" }];
  const captures = await db.all(`SELECT path FROM ${PCAP}.captures`)
    .catch((e: Error) => { if (e.message.startsWith('Catalog Error')) return []; throw e; }); // no index yet: no captures
  return [...inputs, ...captures.map(r => ({ path: String(r.path), what: 'the indexed capture' }))];
}

/** Writes the selected sessions' packets to `out`; pcap when the sources allow it, else pcapng. */
export async function extractSessions(db: Database, selection: SessionSelection, out: string): Promise<ExtractSummary> {
  const output = await checkOutput(out, await inputsOf(db));
  const { packets, unknownCommunityIds } = await selectedPackets(db, selection);
  const unknown = await unknownUids(db, selection.uids ?? []);
  const captures = await capturesById(db, [...new Set(packets.map(p => p.capture))]);
  // Time order; at equal times the earlier capture (by the times inside it), then file order.
  packets.sort((a, b) => a.micros - b.micros || captures.get(a.capture)!.firstMicros - captures.get(b.capture)!.firstMicros
    || a.capture - b.capture || a.offset - b.offset);
  const records = new Map<Packet, Buffer>();
  for (const capture of captures.values()) await readRecords(capture, packets.filter(p => p.capture === capture.id), records);

  const sources = [...captures.values()];
  const format = outputFormat(sources);
  const ordered = packets.map(p => ({ source: captures.get(p.capture)!, offset: p.offset, micros: p.micros, bytes: records.get(p)! }));
  const chunks = format === 'pcap' ? pcapChunks(ordered, sources) : pcapngChunks(ordered);
  await writeOutput(output, chunks);
  return { packets: packets.length, unknownUids: unknown, unknownCommunityIds, captures: captures.size, format, bytes: chunks.reduce((n, c) => n + c.length, 0) };
}
