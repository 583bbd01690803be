// What the fuzz test and scripts/fuzz.ts run: each target is an input arbitrary (a corpus seed and its mutations)
// and a check that throws when one of the properties every parser of outside bytes must keep is broken.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { CaptureFormatError, readCapture } from '../../ts/pcap/capture-reader';
import { decodePacket } from '../../ts/pcap/decode';
import { DecodedPacket } from '../../ts/pcap/types';
import { Database } from '../../ts/duckdb/database';
import { LogIngester } from '../../ts/logs/ingest';
import { scanLogFile } from '../../ts/logs/log-file-scan';
import { LogFormatError, parseSections } from '../../ts/logs/tsv-header';
import { jsonLineCheck, tsvLineCheck } from '../../ts/logs/line-check';
import { catalogSchema } from '../../ts/logs/json-schema';
import { doubled } from '../../ts/common/doubled';
import { corpusPath } from './corpus';
import { epb, idb, option, pcapHeader, pcapRecord, shb, spb } from './capture-files';
import { Mutation, applyMutations, mutatedArb, mutationArb, shown } from './fuzz';

export interface FuzzTarget<T> {
  name: string;
  arb: fc.Arbitrary<T>;
  /** Throws when a property fails. */
  check(input: T): Promise<void>;
  /** The input as bytes (hex) and how it was made, for a regression test. */
  show(input: T): string;
}

/** A sync call that must return within this long is taken to hang (generous: 2 shared cores, GC). */
const HANG_MS = 5000;
/** Async work per input: this long plus this many ms per KiB, else it hangs. */
const HANG_MS_PER_KIB = 5;

/** The promise's value, or an error once it has taken longer than the input's size allows (a hang). */
async function inTime<T>(promise: Promise<T>, bytes: number, what: string): Promise<T> {
  const limit = HANG_MS + HANG_MS_PER_KIB * (bytes >> 10);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${Date.now() - started} ms for ${bytes} bytes (a hang)`)), limit);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

const seedsOf = (dir: string, max: number, keep: (name: string) => boolean) =>
  readdirSync(dir).sort().filter(keep).map(n => join(dir, n)).filter(f => statSync(f).size <= max);

// ---- Captures ----

/** The first `records` records of a capture, as the bytes of the file (gzip undone). */
async function captureStart(file: string, records: number): Promise<Buffer> {
  const all = file.endsWith('.gz') ? gunzipSync(readFileSync(file)) : readFileSync(file);
  let end = 0;
  const info = await readCapture(file, r => { end = r.offset + r.recordLength; }, { maxRecords: records, onProblem: () => undefined });
  return all.subarray(0, Math.max(end, info.headerLength));
}

/** Packets re-encoded in every byte order and time unit of pcap and pcapng, as further seeds. */
function reencoded(packets: { seconds: number; micros: number; data: Buffer }[], linkType: number): Buffer[] {
  const out: Buffer[] = [];
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      const magic = nano ? 0xa1b23c4d : 0xa1b2c3d4;
      out.push(Buffer.concat([pcapHeader(magic, le, 65535, linkType),
        ...packets.map(p => pcapRecord(le, p.seconds, nano ? p.micros * 1000 : p.micros, p.data))]));
    }
    const tsresol = option(le, 9, Buffer.from([9]));
    out.push(Buffer.concat([shb(le), idb(le, linkType, 65535), idb(le, linkType, 0, tsresol),
      ...packets.map((p, i) => i % 3 === 2
        ? spb(le, p.data.length, p.data)
        : epb(le, i % 2, BigInt(p.seconds) * (i % 2 ? 1000000000n : 1000000n) + BigInt(p.micros) * (i % 2 ? 1000n : 1n), p.data))]));
  }
  return out;
}

export async function captureSeeds(): Promise<Buffer[]> {
  const dir = corpusPath('pcaps');
  const files = seedsOf(dir, 1 << 20, n => n !== 'MANIFEST.tsv');
  const seeds: Buffer[] = [];
  for (const f of files) seeds.push(await captureStart(f, 6));
  // Re-encoded: a few packets of three link types.
  for (const [name, linkType] of [['tunnels__vxlan.pcap', 1], ['linux_dlt_sll2.pcap', 276], ['nflog-http.pcap', 239]] as const) {
    const packets: { seconds: number; micros: number; data: Buffer }[] = [];
    await readCapture(join(dir, name), r => {
      packets.push({ seconds: Math.floor(r.micros / 1e6), micros: r.micros % 1e6, data: Buffer.from(r.data) });
    }, { maxRecords: 4 });
    seeds.push(...reencoded(packets, linkType));
  }
  return seeds;
}

const u32s = (...values: number[]) => values.flatMap(v => [Buffer.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]),
  Buffer.from([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24])]);
const CAPTURE_TOKENS = u32s(0xa1b2c3d4, 0xa1b23c4d, 0x0a0d0d0a, 0x1a2b3c4d, 1, 2, 3, 6, 0x00090001, 0x000e0008);

export interface CaptureInput {
  seed: number;
  mutations: Mutation[];
  /** none: the mutated bytes; before: gzipped after mutation; after: the seed gzipped, then mutated. */
  gzip: 'none' | 'before' | 'after';
  /** The reader's starting buffer size (small ones exercise its growing and moving). */
  bufferSize?: number;
  maxRecords?: number;
}

function captureBytes(seeds: Buffer[], input: CaptureInput): { file: Buffer; stream?: Buffer } {
  if (input.gzip === 'after') return { file: applyMutations(gzipSync(seeds[input.seed]), input.mutations) };
  const stream = applyMutations(seeds[input.seed], input.mutations);
  return { file: input.gzip === 'before' ? gzipSync(stream) : stream, stream };
}

/** How many bytes of a record come before its data: pcap's record header, pcapng's EPB/PB or SPB header. */
function dataStart(format: 'pcap' | 'pcapng', stream: Uint8Array, offset: number): number {
  if (format === 'pcap') return 16;
  const le = stream[offset] | (stream[offset + 1] << 8);
  const be = (stream[offset + 2] << 8) | stream[offset + 3];
  return le === 3 || be === 3 ? 12 : 28;
}

export async function captureTarget(dir: string): Promise<FuzzTarget<CaptureInput>> {
  const seeds = await captureSeeds();
  const file = join(dir, 'input.pcap');
  return {
    name: 'capture reader',
    arb: fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      mutations: fc.array(mutationArb(CAPTURE_TOKENS), { maxLength: 6 }),
      gzip: fc.constantFrom('none' as const, 'before' as const, 'after' as const),
      bufferSize: fc.option(fc.constantFrom(1, 13, 64, 4096), { nil: undefined }),
      maxRecords: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    }, { requiredKeys: ['seed', 'mutations', 'gzip'] }),
    show: input => {
      const { file: bytes } = captureBytes(seeds, input);
      const options = JSON.stringify({ gzip: input.gzip, bufferSize: input.bufferSize, maxRecords: input.maxRecords });
      return `${options} ${shown(`capture seed ${input.seed}`, input.mutations, bytes)}`;
    },
    async check(input) {
      const bytes = captureBytes(seeds, input);
      writeFileSync(file, bytes.file);
      // Every byte onData saw, in a buffer that doubles: concatenating it anew at each record took time quadratic in
      // the records (a hang of the harness, not the reader, on 46,811 records of 64-byte reads).
      let seen = new Uint8Array(1 << 16);
      let streamLength = 0;
      let records = 0;
      let format: 'pcap' | 'pcapng' = 'pcap';
      const bad: string[] = [];
      const started = Date.now();
      const reading = readCapture(file, r => {
        records++;
        const stream = Buffer.from(seen.buffer, 0, streamLength);
        const at = r.offset + dataStart(format, stream, r.offset);
        if (!(r.offset >= 0 && r.offset + r.recordLength <= streamLength)) bad.push(`record at ${r.offset}+${r.recordLength} outside ${streamLength} bytes`);
        else if (r.data.length !== r.caplen || !stream.subarray(at, at + r.caplen).equals(r.data)) bad.push(`record at ${r.offset}: its data is not the file's bytes at ${at}`);
        if (!Number.isFinite(r.micros) || !Number.isInteger(r.nanos) || r.nanos < 0 || r.nanos > 999) bad.push(`record at ${r.offset}: time ${r.micros} µs ${r.nanos} ns`);
      }, {
        bufferSize: input.bufferSize,
        maxRecords: input.maxRecords,
        onInfo: info => { format = info.format; },
        onData: chunk => {
          while (streamLength + chunk.length > seen.length) seen = doubled(seen);
          seen.set(chunk, streamLength);
          streamLength += chunk.length;
        },
        onProblem: p => {
          if (p.file !== file || !(p.offset >= 0 && p.offset <= streamLength) || !p.message) bad.push(`problem ${JSON.stringify(p)} of ${streamLength} bytes`);
        },
      });
      const limit = HANG_MS + HANG_MS_PER_KIB * (bytes.file.length >> 10);
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<'hang'>(resolve => { timer = setTimeout(() => resolve('hang'), limit); });
      let outcome: unknown;
      try {
        outcome = await Promise.race([reading, hang]);
      } catch (e) {
        if (!(e instanceof CaptureFormatError)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? e}`);
        if (e.file !== file || !(e.offset >= 0 && e.offset <= Math.max(streamLength, bytes.stream?.length ?? 0))) {
          throw new Error(`CaptureFormatError names ${e.file} byte ${e.offset} of ${streamLength}: ${e.message}`);
        }
        if (!e.message.startsWith(`${file}: `)) throw new Error(`CaptureFormatError without the file first: ${e.message}`);
      } finally {
        clearTimeout(timer);
      }
      if (outcome === 'hang') throw new Error(`no answer after ${Date.now() - started} ms for ${bytes.file.length} bytes`);
      assert.deepEqual(bad.slice(0, 3), []);
      // Every byte of the stream goes to onData exactly once (the reader hashes captures through it).
      if (outcome !== undefined && bytes.stream) assert.equal(Buffer.from(seen.buffer, 0, streamLength).equals(bytes.stream), true, 'onData saw every byte once');
      // Bounded work: no record takes fewer than 12 bytes.
      assert.ok(records <= streamLength / 12, `${records} records from ${streamLength} bytes`);
    },
  };
}

// ---- The packet decoder ----

/** Every link type the decoder knows, and some it does not. */
export const LINK_TYPES = [0, 1, 9, 10, 12, 14, 50, 101, 105, 108, 113, 127, 228, 229, 239, 276, 2, 147, 65535];

export async function packetSeeds(): Promise<Buffer[]> {
  const seeds: Buffer[] = [];
  for (const f of seedsOf(corpusPath('pcaps'), 1 << 20, n => n !== 'MANIFEST.tsv')) {
    await readCapture(f, r => { seeds.push(Buffer.from(r.data)); }, { maxRecords: 3, onProblem: () => undefined });
  }
  return seeds;
}

/**
 * The bytes framed in a larger buffer, behind a Proxy that records every index read outside [start, end):
 * the decoder may read only the packet it is given.
 */
function guarded(packet: Uint8Array, pad: number): { data: Uint8Array; outside: number[] } {
  const framed = new Uint8Array(packet.length + 2 * pad).fill(0xa5);
  framed.set(packet, pad);
  const outside: number[] = [];
  const data = new Proxy(framed, {
    get(target, key) {
      if (typeof key === 'string') {
        const c = key.charCodeAt(0);
        if ((c >= 48 && c <= 57) || c === 45) {
          const i = Number(key);
          if (!(i >= pad && i < pad + packet.length) && outside.length < 4) outside.push(i - pad);
          return target[i];
        }
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { data, outside };
}

export interface PacketInput { linkType: number; seed: number; mutations: Mutation[] }

const PACKET_TOKENS = [
  [0x81, 0x00], [0x88, 0xa8], [0x88, 0x47], [0x88, 0x64], [0x89, 0x26], [0x88, 0xe7], [0x08, 0x00], [0x86, 0xdd],
  [0x45, 0x00], [0x60, 0x00], [0x12, 0xb5], [0x17, 0xc1], [0x0d, 0xc8], [0x08, 0x68], [0x13, 0xd0], [0x12, 0x92],
  [0xaa, 0xaa, 0x03, 0, 0, 0], [0x65, 0x58], [0x88, 0xbe], [0x22, 0xeb], [0x00, 0x21], [0x00, 0x57], [0x02, 0x81],
].map(t => Uint8Array.from(t));

export async function decodeTarget(): Promise<FuzzTarget<PacketInput>> {
  const seeds = await packetSeeds();
  const decoded: DecodedPacket = { layers: [], count: 0 };
  const bytesOf = (input: PacketInput) => applyMutations(seeds[input.seed], input.mutations);
  return {
    name: 'packet decoder',
    arb: fc.record({ linkType: fc.constantFrom(...LINK_TYPES) }).chain(({ linkType }) =>
      mutatedArb(seeds, PACKET_TOKENS, 8).map(m => ({ linkType, ...m }))),
    show: input => `link type ${input.linkType}: ${shown(`packet seed ${input.seed}`, input.mutations, bytesOf(input))}`,
    async check(input) {
      const packet = bytesOf(input);
      const { data, outside } = guarded(packet, 64);
      const started = Date.now();
      try {
        decodePacket(data, input.linkType, decoded, 64, 64 + packet.length);
      } catch (e) {
        throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? e}`);
      }
      const ms = Date.now() - started;
      assert.ok(ms < HANG_MS, `${ms} ms for ${packet.length} bytes`);
      assert.deepEqual(outside, [], 'reads outside the packet');
      assert.ok(decoded.problem === undefined || (typeof decoded.problem === 'string' && decoded.problem.length > 0), `problem ${decoded.problem}`);
      // Every IP layer takes at least 20 bytes of its own.
      assert.ok(decoded.count >= 0 && decoded.count <= Math.floor(packet.length / 20), `${decoded.count} layers in ${packet.length} bytes`);
      for (let i = 0; i < decoded.count; i++) {
        const l = decoded.layers[i];
        const where = `layer ${i}`;
        assert.ok(l.ipOffset >= 0 && l.ipOffset + 20 <= packet.length, `${where}: ipOffset ${l.ipOffset}`);
        assert.ok(l.transportOffset === -1 || (l.transportOffset > l.ipOffset && l.transportOffset < packet.length), `${where}: transportOffset ${l.transportOffset}`);
        assert.equal(l.src.length, l.ipVersion === 4 ? 4 : 16, where);
        assert.equal(l.dst.length, l.src.length, where);
        for (const v of [l.srcPort, l.dstPort]) assert.ok(Number.isInteger(v) && v >= 0 && v <= 65535, `${where}: port ${v}`);
        assert.ok(Number.isInteger(l.proto) && l.proto >= 0 && l.proto <= 255, `${where}: proto ${l.proto}`);
      }
    },
  };
}

// ---- Logs ----

/** Corpus logs (TSV and JSON) up to 64 KiB, cut to their first 60 lines. */
export function logSeeds(format: 'tsv' | 'json'): { name: string; bytes: Buffer }[] {
  const root = corpusPath('zeek-logs', format);
  const seeds: { name: string; bytes: Buffer }[] = [];
  for (const trace of readdirSync(root).sort()) {
    for (const f of seedsOf(join(root, trace), 64 << 10, n => n.endsWith('.log'))) {
      const lines = readFileSync(f).toString('latin1').split('\n');
      seeds.push({ name: f.split('/').pop()!, bytes: Buffer.from(lines.slice(0, 60).join('\n'), 'latin1') });
    }
  }
  return seeds;
}

const LOG_TOKENS = ['\t', '\n', '\r\n', '#', '#fields\t', '#types\t', '#separator \\x09', '#separator ', '#set_separator\t',
  '#path\t', '#empty_field\t', '#unset_field\t', '-', '(empty)', ',', '\\x', '\\x0', '\\', '18446744073709551616',
  '-9223372036854775809', '1e999', 'nan', 'set[', 'vector[string]', 'table[count]', 'record', 'id.orig_h', '.',
  '{', '}', '[', ']', '"', ':', 'null', '"ts":', '"_path":"', '\u00ff', '\u{1f600}', '\0'].map(t => Buffer.from(t, 'utf8'));

export interface LogInput { seed: number; mutations: Mutation[]; gzip: boolean }

const countLines = (b: Buffer) => b.length === 0 ? 0 : b.toString('latin1').split('\n').length - (b[b.length - 1] === 0x0a ? 1 : 0);

/** The log header parser and the line checks: scan the file, parse its header blocks, check every line. */
export function logTextTarget(dir: string, format: 'tsv' | 'json'): FuzzTarget<LogInput> {
  const seeds = logSeeds(format);
  const bytesOf = (input: LogInput) => applyMutations(seeds[input.seed].bytes, input.mutations);
  return {
    name: `${format.toUpperCase()} log header and line checks`,
    arb: fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      mutations: fc.array(mutationArb(LOG_TOKENS), { maxLength: 6 }),
      gzip: fc.boolean(),
    }),
    show: input => `gzip ${input.gzip} ${shown(seeds[input.seed].name, input.mutations, bytesOf(input), true)}`,
    async check(input) {
      const bytes = bytesOf(input);
      const file = join(dir, seeds[input.seed].name + (input.gzip ? '.gz' : ''));
      writeFileSync(file, input.gzip ? gzipSync(bytes) : bytes);
      const log = await inTime(scanLogFile(file), bytes.length, 'scanLogFile');
      const lines = countLines(bytes);
      assert.equal(log.lines, lines, 'lines');
      assert.equal(log.bytes, bytes.length, 'bytes');
      let previous = 0;
      for (const h of log.headerLines) {
        assert.ok(h.line > previous && h.line <= lines, `header line ${h.line} of ${lines}`);
        previous = h.line;
      }
      const text = bytes.toString('utf8').split('\n');
      const started = Date.now();
      const checkLine = (check: (t: string) => { field?: string; message: string } | undefined, fields: Set<string>, t: string) => {
        const problem = check(t);
        if (problem) {
          assert.ok(typeof problem.message === 'string' && problem.message.length > 0, 'a problem has a message');
          assert.ok(problem.field === undefined || fields.has(problem.field), `field ${problem.field} not in the schema`);
        }
      };
      if (format === 'tsv') {
        let sections;
        try {
          sections = parseSections(file, log.headerLines, 'fallback');
        } catch (e) {
          if (!(e instanceof LogFormatError)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? e}`);
          assert.equal(e.file, file);
          assert.ok(e.line !== undefined && log.headerLines.some(h => h.line === e.line), `LogFormatError at line ${e.line}, not a header line`);
          return;
        }
        for (const s of sections) {
          assert.ok(log.headerLines.some(h => h.line === s.typesLine) && s.headerStart <= s.typesLine, `section at ${s.headerStart}..${s.typesLine}`);
          const check = tsvLineCheck(s.header, s.schema);
          const fields = new Set(s.schema.fields.map(f => f.name));
          for (const t of text) checkLine(check, fields, t);
        }
      } else {
        const schema = catalogSchema(seeds[input.seed].name.split('.')[0]);
        if (schema) {
          const check = jsonLineCheck(schema);
          const fields = new Set(schema.fields.map(f => f.name));
          for (const t of text) checkLine(check, fields, t);
        }
      }
      assert.ok(Date.now() - started < HANG_MS + HANG_MS_PER_KIB * (bytes.length >> 10), 'line checks hang');
    },
  };
}

/** A whole ingest (DuckDB reads the file, our checks name bad lines): it never throws, every problem names the file and a place in it. */
export function ingestTarget(dir: string, format: 'tsv' | 'json'): FuzzTarget<LogInput> & { close(): void } {
  const seeds = logSeeds(format);
  const bytesOf = (input: LogInput) => applyMutations(seeds[input.seed].bytes, input.mutations);
  let db: Database | undefined;
  let runs = 0;
  return {
    name: `${format.toUpperCase()} log ingest`,
    arb: fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      mutations: fc.array(mutationArb(LOG_TOKENS), { maxLength: 4 }),
      gzip: fc.boolean(),
    }),
    show: input => `gzip ${input.gzip} ${shown(seeds[input.seed].name, input.mutations, bytesOf(input), true)}`,
    async check(input) {
      const bytes = bytesOf(input);
      // A file name of its own each run: the database knows files by content, and by name in messages.
      const file = join(dir, `${runs++}-${seeds[input.seed].name}${input.gzip ? '.gz' : ''}`);
      const onDisk = input.gzip ? gzipSync(bytes) : bytes;
      writeFileSync(file, onDisk);
      db ??= await Database.open(':memory:');
      let summary;
      try {
        summary = await inTime(LogIngester.ingest(db, [file]), bytes.length, 'ingest');
      } catch (e) {
        if ((e as Error).message?.startsWith('ingest: no answer')) {
          db = undefined; // still busy with it: the next input gets a database of its own
          throw e;
        }
        throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? e}`);
      }
      const lines = countLines(bytes);
      for (const p of summary.problems) {
        assert.equal(p.file, file, `problem names ${p.file}`);
        assert.ok(p.message.length > 0);
        if (p.line !== undefined) assert.ok(p.line >= 1 && p.line <= lines + 1, `line ${p.line} of ${lines}: ${p.message}`);
        if (p.byte !== undefined) assert.ok(p.byte >= 0 && p.byte <= bytes.length, `byte ${p.byte} of ${bytes.length}: ${p.message}`);
      }
      assert.ok(summary.rows <= lines, `${summary.rows} rows from ${lines} lines`);
    },
    close() { db?.close(); db = undefined; },
  };
}
