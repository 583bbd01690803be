import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { ReadOptions, readCapture } from '../ts/pcap/capture-reader';
import { CaptureInfo, CaptureProblem, CaptureRecord } from '../ts/pcap/types';
import { corpusPath } from './helpers/corpus';
import { MANIFEST_LINK_TYPES, readManifest } from './helpers/captures';
import { block, endOfOptions, epb, idb, int64, obsoletePb, option, pcapHeader, pcapRecord, shb, spb, u16, u32 } from './helpers/capture-files';

/** A record as the reader gave it, copied (the reader reuses its object and buffer). */
type Rec = Omit<CaptureRecord, 'data' | 'bytes' | 'dataOffset'> & { data: Buffer };

interface Read {
  info: CaptureInfo;
  records: Rec[];
  problems: CaptureProblem[];
  /** What onInfo saw, copied, and how many records had come before it. */
  infoCalls: { info: CaptureInfo; recordsBefore: number }[];
  dataSha256: string;
  dataBytes: number;
  progress: number[];
}

async function readAll(file: string, options: Partial<ReadOptions> = {}): Promise<Read> {
  const records: Rec[] = [];
  const problems: CaptureProblem[] = [];
  const infoCalls: Read['infoCalls'] = [];
  const progress: number[] = [];
  const hash = createHash('sha256');
  let dataBytes = 0;
  const info = await readCapture(file, ({ bytes, dataOffset, ...r }) => records.push({ ...r, data: Buffer.from(bytes.subarray(dataOffset, dataOffset + r.caplen)) }), {
    ...options,
    onInfo: i => infoCalls.push({ info: structuredClone(i), recordsBefore: records.length }),
    onProblem: p => problems.push(p),
    onData: chunk => { hash.update(chunk); dataBytes += chunk.length; },
    onProgress: n => progress.push(n),
  });
  return { info, records, problems, infoCalls, dataSha256: hash.digest('hex'), dataBytes, progress };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** One line per record: what must survive splitting and re-reading (timestamp, lengths, data). */
const fingerprint = (r: Rec) => `${r.micros}.${r.nanos} ${r.caplen}/${r.origlen} ${r.linkType} ${sha256(r.data)}`;

/** A timestamp as MANIFEST prints it: seconds, then 6 digits, or 9 for nanosecond captures. */
function timestamp(r: Rec, nanosecond: boolean): string {
  const seconds = Math.floor(r.micros / 1e6);
  const micros = r.micros - seconds * 1e6;
  return nanosecond
    ? `${seconds}.${String(micros * 1000 + r.nanos).padStart(9, '0')}`
    : `${seconds}.${String(micros).padStart(6, '0')}`;
}

const earlier = (a: Rec, b: Rec) => a.micros < b.micros || (a.micros === b.micros && a.nanos < b.nanos);

/** MANIFEST's link type names are Wireshark's encapsulation names (capinfos); these are their LINKTYPE_ values. */

const PCAPS = corpusPath('pcaps');
const manifest = readManifest(join(PCAPS, 'MANIFEST.tsv'));

describe('readCapture: the corpus captures', () => {
  const reads = new Map<string, Read>();
  before(async () => {
    for (const row of manifest) reads.set(row.file, await readAll(join(PCAPS, row.file)));
  });

  it('MANIFEST lists the 60 captures', () => assert.equal(manifest.length, 60));

  for (const row of manifest) {
    it(`${row.file}: packets, earliest and latest timestamp, format, link type as MANIFEST says`, () => {
      const { info, records, problems, infoCalls, progress } = reads.get(row.file)!;
      assert.deepEqual(problems, []);
      assert.equal(records.length, Number(row.packets));
      assert.equal(info.format, row.format === 'nsecpcap' ? 'pcap' : row.format);
      assert.equal(info.gzip, row.notes.includes('gzip-compressed'));
      const expected = MANIFEST_LINK_TYPES[row.link_type];
      assert.notEqual(expected, undefined, `no LINKTYPE for ${row.link_type}`);
      assert.ok(info.linkTypes.length > 0);
      for (const t of info.linkTypes) assert.equal(t, expected);
      for (const r of records) assert.equal(r.linkType, expected);
      const interfaces = /pcapng (\d+) interfaces/.exec(row.notes);
      assert.equal(info.linkTypes.length, interfaces ? Number(interfaces[1]) : 1);
      if (row.format === 'nsecpcap' || row.notes.includes('if_tsresol=9')) assert.equal(info.nanosecond, true);
      // MANIFEST's first_ts / last_ts are the earliest and latest timestamps (capinfos -a/-e), not those of the
      // first and last record in file order: they differ in ipv6-http-atomic-frag.trace.
      if (records.length === 0) {
        assert.equal(row.first_ts, 'n/a');
        assert.equal(row.last_ts, 'n/a');
      } else {
        const min = records.reduce((a, b) => (earlier(b, a) ? b : a));
        const max = records.reduce((a, b) => (earlier(a, b) ? b : a));
        assert.equal(timestamp(min, info.nanosecond), row.first_ts);
        assert.equal(timestamp(max, info.nanosecond), row.last_ts);
        if (!info.nanosecond) for (const r of records) assert.equal(r.nanos, 0);
      }
      const truncated = /snaplen-truncated packets: (\d+)/.exec(row.notes);
      if (truncated) assert.equal(records.filter(r => r.caplen < r.origlen).length, Number(truncated[1]));
      assert.equal(infoCalls.length, 1);
      assert.equal(infoCalls[0].recordsBefore, 0);
      assert.equal(infoCalls[0].info.headerLength, info.headerLength);
      assert.equal(progress.at(-1), Number(row.bytes));
    });
  }

  it('pcap records follow each other from byte 24 to the end of the file, their data at offset + 16', () => {
    for (const row of manifest) {
      const { info, records } = reads.get(row.file)!;
      if (info.format !== 'pcap') continue;
      const bytes = info.gzip ? gunzipSync(readFileSync(join(PCAPS, row.file))) : readFileSync(join(PCAPS, row.file));
      assert.equal(info.headerLength, 24, row.file);
      let offset = 24;
      for (const r of records) {
        assert.equal(r.offset, offset, row.file);
        assert.equal(r.recordLength, 16 + r.caplen);
        assert.equal(r.interfaceId, 0);
        assert.ok(r.data.equals(bytes.subarray(offset + 16, offset + 16 + r.caplen)), `${row.file} record at ${offset}`);
        offset += r.recordLength;
      }
      assert.equal(offset, bytes.length, row.file);
    }
  });

  it('pcapng records are the packet blocks at their offsets, in order, with their data', () => {
    let checked = 0;
    for (const row of manifest) {
      const { info, records } = reads.get(row.file)!;
      if (info.format !== 'pcapng') continue;
      const bytes = readFileSync(join(PCAPS, row.file));
      assert.equal(records[0].offset, info.headerLength);
      let end = 0;
      for (const r of records) {
        assert.ok(r.offset >= end, `${row.file}: record at ${r.offset} overlaps the one before`);
        const type = bytes.readUInt32LE(r.offset);
        assert.ok(type === 6 || type === 3, `${row.file}: block type ${type} at ${r.offset}`);
        assert.equal(bytes.readUInt32LE(r.offset + 4), r.recordLength);
        assert.equal(bytes.readUInt32LE(r.offset + r.recordLength - 4), r.recordLength);
        assert.ok(r.data.equals(bytes.subarray(r.offset + 28, r.offset + 28 + r.caplen)));
        end = r.offset + r.recordLength;
        checked++;
      }
      assert.ok(end <= bytes.length);
    }
    assert.equal(checked, manifest.filter(row => row.format === 'pcapng').reduce((n, row) => n + Number(row.packets), 0));
  });

  it('onData sees every byte: its SHA-256 is that of the file, or of the gunzipped file', () => {
    for (const row of manifest) {
      const bytes = readFileSync(join(PCAPS, row.file));
      const read = reads.get(row.file)!;
      const content = read.info.gzip ? gunzipSync(bytes) : bytes;
      assert.equal(read.dataSha256, sha256(content), row.file);
      assert.equal(read.dataBytes, content.length);
    }
  });
});

describe('readCapture: the split captures', () => {
  const SPLIT = corpusPath('split');
  const pieces = readManifest(join(SPLIT, 'MANIFEST.tsv'));
  const originals = [...new Set(pieces.map(p => p.original_file))];

  it('CHECK.txt: the pieces are what MANIFEST says and, in piece_order, packet-identical to the original', async () => {
    assert.deepEqual(originals, ['smb__smb3_multichannel.pcap', 'ssh__ssh.trace']);
    for (const original of originals) {
      const whole = (await readAll(join(PCAPS, original))).records.map(fingerprint);
      const mine = pieces.filter(p => p.original_file === original).sort((a, b) => Number(a.piece_order) - Number(b.piece_order));
      assert.equal(mine.length, Number(mine[0].pieces_total));
      const joined: string[] = [];
      const starts: Rec[] = [];
      for (const piece of mine) {
        const { info, records, problems } = await readAll(join(SPLIT, piece.file));
        assert.deepEqual(problems, []);
        assert.equal(records.length, Number(piece.packets), piece.file);
        assert.equal(info.format, piece.format);
        assert.deepEqual(info.linkTypes, [MANIFEST_LINK_TYPES[piece.link_type]]);
        assert.equal(statSync(join(SPLIT, piece.file)).size, Number(piece.bytes));
        const min = records.reduce((a, b) => (earlier(b, a) ? b : a));
        const max = records.reduce((a, b) => (earlier(a, b) ? b : a));
        assert.equal(timestamp(min, false), piece.first_ts);
        assert.equal(timestamp(max, false), piece.last_ts);
        const [from, to] = piece.original_packet_range.split('-').map(Number);
        assert.deepEqual(records.map(fingerprint), whole.slice(from - 1, to), `${piece.file} is packets ${from}-${to} of ${original}`);
        joined.push(...records.map(fingerprint));
        starts.push(min);
      }
      assert.deepEqual(joined, whole);
      // The names do not sort in time order; the timestamps inside do.
      const byTime = mine.map((p, i) => ({ p, t: starts[i] })).sort((a, b) => (earlier(a.t, b.t) ? -1 : 1)).map(x => x.p.file);
      assert.deepEqual(byTime, mine.map(p => p.file));
      assert.notDeepEqual([...byTime].sort(), byTime);
    }
  });
});

// ---- synthetic captures ----

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

/** The complete records at the start of a little-endian pcap's bytes, and where the first incomplete one starts. */
function completeRecords(content: Buffer): { complete: number; offset: number } {
  let offset = 24;
  let complete = 0;
  while (offset + 16 <= content.length && offset + 16 + content.readUInt32LE(offset + 8) <= content.length) {
    offset += 16 + content.readUInt32LE(offset + 8);
    complete++;
  }
  return { complete, offset };
}

/** Two sections of opposite byte order; interfaces with ns, 2^-10 s and ms units and a time offset; every
 *  packet block kind, and blocks the reader must skip. Returns the packet blocks' offsets too. */
function twoSections(): { content: Buffer; offsets: number[]; sections: number[] } {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  const add = (b: Buffer, packet = false) => {
    if (packet) offsets.push(parts.reduce((n, p) => n + p.length, 0));
    parts.push(b);
  };
  const sections: number[] = [];
  const size = () => parts.reduce((n, p) => n + p.length, 0);
  let le = true;
  sections.push(size());
  add(shb(le));
  add(idb(le, 1, 0, option(le, 9, Buffer.from([9])), option(le, 14, int64(100n, le)), option(le, 2, Buffer.from('eth0'))));
  add(idb(le, 101, 64, option(le, 9, Buffer.from([0x8a]))));
  add(epb(le, 1, 1700000000n * 1024n + 513n, bytes(20, 2)), true);
  add(block(le, 4, Buffer.concat([u16(1, le), u16(8, le), Buffer.from([10, 0, 0, 1]), Buffer.from('a.b\0'), endOfOptions(le)])));
  add(epb(le, 0, 1700000000123456789n, bytes(13, 3), 60), true);
  add(spb(le, 10, bytes(10, 4)), true);
  add(block(le, 0xbad, bytes(8, 5)));
  add(block(le, 5, Buffer.concat([u32(0, le), u32(0, le), u32(0, le)])));
  le = false;
  sections.push(size());
  add(shb(le));
  add(idb(le, 113, 128));
  add(idb(le, 276, 0, option(le, 9, Buffer.from([3]))));
  add(obsoletePb(le, 0, 7, 1600000000654321n, bytes(30, 6), 40), true);
  add(spb(le, 200, bytes(132, 7)), true);
  add(epb(le, 1, 1600000001234n, bytes(4, 8)), true);
  add(epb(le, 5, 1600000002000n, bytes(4, 9)), true);
  return { content: Buffer.concat(parts), offsets, sections };
}

describe('readCapture: synthetic captures', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'capture-reader-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('pcap in all four magics (µs/ns, little/big endian); FCS bits above the link type are ignored', async () => {
    const cases = [
      { magic: 0xa1b2c3d4, le: true, ns: false },
      { magic: 0xa1b2c3d4, le: false, ns: false },
      { magic: 0xa1b23c4d, le: true, ns: true },
      { magic: 0xa1b23c4d, le: false, ns: true },
    ];
    for (const { magic, le, ns } of cases) {
      const file = write(`magic-${le ? 'le' : 'be'}-${ns ? 'ns' : 'us'}.pcap`, Buffer.concat([
        pcapHeader(magic, le, 1500, (2 << 29) | (1 << 28) | 113),
        pcapRecord(le, 1342606813, ns ? 729856830 : 729856, bytes(5, 1), 60),
        pcapRecord(le, 1342606814, ns ? 999999999 : 999999, Buffer.alloc(0)),
      ]));
      const { info, records, problems } = await readAll(file);
      assert.deepEqual(problems, []);
      assert.deepEqual(info, {
        format: 'pcap', gzip: false, littleEndian: le, nanosecond: ns, snaplen: 1500, linkTypes: [113], headerLength: 24,
        interfaces: [{ linkType: 113, snaplen: 1500, tsresol: ns ? 9 : 6, tsoffset: 0 }], sections: [],
      });
      assert.deepEqual(records, [
        { offset: 24, recordLength: 21, micros: 1342606813729856, nanos: ns ? 830 : 0, caplen: 5, origlen: 60, linkType: 113, interfaceId: 0, data: bytes(5, 1) },
        { offset: 45, recordLength: 16, micros: 1342606814999999, nanos: ns ? 999 : 0, caplen: 0, origlen: 0, linkType: 113, interfaceId: 0, data: Buffer.alloc(0) },
      ]);
    }
  });

  it('pcapng: sections of both byte orders, interfaces numbered across sections, exact timestamps in any unit', async () => {
    const { content, offsets, sections } = twoSections();
    const file = write('two-sections.pcapng', content);
    const { info, records, problems, infoCalls } = await readAll(file);
    assert.deepEqual(info, {
      format: 'pcapng', gzip: false, littleEndian: true, nanosecond: true, snaplen: 0, linkTypes: [1, 101, 113, 276], headerLength: offsets[0],
      interfaces: [
        { linkType: 1, snaplen: 0, tsresol: 9, tsoffset: 100 }, { linkType: 101, snaplen: 64, tsresol: 0x8a, tsoffset: 0 },
        { linkType: 113, snaplen: 128, tsresol: 6, tsoffset: 0 }, { linkType: 276, snaplen: 0, tsresol: 3, tsoffset: 0 },
      ],
      sections: [{ offset: 0, firstInterface: 0 }, { offset: sections[1], firstInterface: 2 }],
    });
    assert.equal(sections[0], 0);
    assert.equal(infoCalls.length, 1);
    assert.deepEqual(infoCalls[0].info.linkTypes, [1, 101]);
    assert.equal(infoCalls[0].recordsBefore, 0);
    // The first three packets are in the little-endian section, the rest in the big-endian one.
    const lengths = offsets.map((o, i) => (i < 3 ? content.readUInt32LE(o + 4) : content.readUInt32BE(o + 4)));
    const expected = [
      // 2^-10 s units: 513/1024 s = 0.5009765625 s
      { interfaceId: 1, linkType: 101, micros: 1700000000500976, nanos: 562, caplen: 20, origlen: 20, data: bytes(20, 2) },
      // ns units plus if_tsoffset 100 s
      { interfaceId: 0, linkType: 1, micros: 1700000100123456, nanos: 789, caplen: 13, origlen: 60, data: bytes(13, 3) },
      // a Simple Packet Block: interface 0 of its section, the previous packet's time
      { interfaceId: 0, linkType: 1, micros: 1700000100123456, nanos: 789, caplen: 10, origlen: 10, data: bytes(10, 4) },
      // second section (big endian), obsolete Packet Block: its interface 0 is interface 2 of the file
      { interfaceId: 2, linkType: 113, micros: 1600000000654321, nanos: 0, caplen: 30, origlen: 40, data: bytes(30, 6) },
      // SPB: caplen = min(origlen 200, snaplen 128, room 132)
      { interfaceId: 2, linkType: 113, micros: 1600000000654321, nanos: 0, caplen: 128, origlen: 200, data: bytes(128, 7) },
      // millisecond units
      { interfaceId: 3, linkType: 276, micros: 1600000001234000, nanos: 0, caplen: 4, origlen: 4, data: bytes(4, 8) },
    ];
    assert.deepEqual(records, expected.map((r, i) => ({ offset: offsets[i], recordLength: lengths[i], ...r })));
    assert.deepEqual(problems, [{
      file, offset: offsets[6], severity: 'error', message: 'packet block names interface 5, but its section describes 2: skipped',
    }]);
  });

  it('a pcap cut inside its last record: the records before are delivered, the cut one is reported', async () => {
    const source = join(PCAPS, 'http__bro.org.pcap');
    const whole = await readAll(source);
    const last = whole.records.at(-1)!;
    const content = readFileSync(source);
    for (const [keep, message] of [
      [16 + 10, `file ends inside a packet record: 26 of ${last.recordLength} bytes present`],
      [5, 'file ends inside a packet record: 5 of 16 bytes present'],
    ] as const) {
      const file = write(`cut-${keep}.pcap`, content.subarray(0, last.offset + keep));
      const read = await readAll(file);
      assert.deepEqual(read.problems, [{ file, offset: last.offset, severity: 'error', message }]);
      assert.equal(read.records.length, 750);
      assert.deepEqual(read.records, whole.records.slice(0, 750));
      assert.equal(read.dataSha256, sha256(content.subarray(0, last.offset + keep)));
    }
  });

  it('a pcapng cut inside its last block: the blocks before are delivered, the cut one is reported', async () => {
    const source = join(PCAPS, 'ldap__missing_ldap_logs.pcapng');
    const whole = await readAll(source);
    const last = whole.records.at(-1)!;
    const file = write('cut.pcapng', readFileSync(source).subarray(0, last.offset + 100));
    const read = await readAll(file);
    assert.deepEqual(read.problems, [{ file, offset: last.offset, severity: 'error', message: `file ends inside a packet record: 100 of ${last.recordLength} bytes present` }]);
    assert.deepEqual(read.records, whole.records.slice(0, -1));
  });

  it('a cut or corrupt .gz: the gzip damage is reported where the records stop, the records before are delivered', async () => {
    const source = join(PCAPS, 'tls__tls-fragmented-handshake.pcap.gz');
    const whole = await readAll(source);
    const gz = readFileSync(source);
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    // What a truncated stream decompresses to, independently of the reader; the complete records in it.
    const prefix = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH });
    const { complete, offset } = completeRecords(prefix);
    const file = write('cut.pcap.gz', cut);
    const read = await readAll(file);
    assert.ok(complete > 0 && complete < 416);
    assert.equal(read.info.gzip, true);
    assert.deepEqual(read.records, whole.records.slice(0, complete));
    assert.equal(read.dataBytes, prefix.length);
    assert.deepEqual(read.problems, [{
      file, offset, severity: 'error', message: `gzip stream is damaged after ${prefix.length} decompressed bytes (unexpected end of file)`,
    }]);

    // Damage in the middle: zlib may put out garbage before it notices, so only the records wholly before the
    // damaged bytes are known to be right.
    const corrupt = Buffer.from(gz);
    for (let i = 15000; i < 15100; i++) corrupt[i] ^= 0x5a;
    const damaged = await readAll(write('corrupt.pcap.gz', corrupt));
    const intact = completeRecords(gunzipSync(gz.subarray(0, 15000), { finishFlush: constants.Z_SYNC_FLUSH })).complete;
    assert.ok(intact > 0 && damaged.records.length >= intact && damaged.records.length < 416);
    assert.deepEqual(damaged.records.slice(0, intact), whole.records.slice(0, intact));
    const last = damaged.problems.at(-1)!;
    assert.equal(last.severity, 'error');
    assert.match(last.message, /^gzip stream is damaged after \d+ decompressed bytes \(.+\)$/);
  });

  it('an impossible caplen stops the file with an error; onData still sees every byte', async () => {
    const content = Buffer.concat([
      pcapHeader(0xa1b2c3d4, true, 65535, 1),
      pcapRecord(true, 1, 2, bytes(60, 1)),
      pcapRecord(true, 1, 3, bytes(100, 2), 300000, 300000),
      pcapRecord(true, 1, 4, bytes(60, 3)),
    ]);
    const file = write('absurd.pcap', content);
    const read = await readAll(file);
    assert.equal(read.records.length, 1);
    assert.deepEqual(read.problems, [{
      file, offset: 24 + 76, severity: 'error',
      message: 'packet record claims caplen 300000, more than the snaplen 65535 and 262144: the file is damaged here, reading stops',
    }]);
    assert.equal(read.dataSha256, sha256(content));
    assert.equal(read.progress.at(-1), content.length);
  });

  it('a caplen above the snaplen but possible is delivered, with one warning', async () => {
    const file = write('over-snaplen.pcap', Buffer.concat([
      pcapHeader(0xa1b2c3d4, true, 68, 1),
      pcapRecord(true, 1, 0, bytes(68, 1), 100),
      pcapRecord(true, 2, 0, bytes(100, 2)),
      pcapRecord(true, 3, 0, bytes(90, 3)),
    ]));
    const read = await readAll(file);
    assert.deepEqual(read.records.map(r => r.caplen), [68, 100, 90]);
    assert.deepEqual(read.problems, [{
      file, offset: 24 + 84, severity: 'warning', message: 'packet record has caplen 100, more than the snaplen (and 1 more records like it)',
    }]);
  });

  it('a pcapng block with a bad length stops the file with an error at that block', async () => {
    const le = true;
    const head = Buffer.concat([shb(le), idb(le, 1, 0), epb(le, 0, 5n, bytes(8, 1))]);
    const good = epb(le, 0, 6n, bytes(8, 2));
    const odd = Buffer.from(good);
    odd.writeUInt32LE(good.length + 2, 4);
    const mismatched = Buffer.from(good);
    mismatched.writeUInt32LE(good.length + 4, good.length - 4);
    const tooShort = Buffer.from(good);
    tooShort.writeUInt32LE(8, 4);
    for (const [name, bad, message] of [
      ['odd', odd, `block (type 6) has a bad length ${good.length + 2}: reading stops`],
      ['short', tooShort, 'block (type 6) has a bad length 8: reading stops'],
      ['mismatched', mismatched, `block (type 6) length ${good.length} does not match its trailing length ${good.length + 4}: reading stops`],
    ] as const) {
      const content = Buffer.concat([head, bad, good]);
      const file = write(`bad-length-${name}.pcapng`, content);
      const read = await readAll(file);
      assert.equal(read.records.length, 1, name);
      assert.equal(read.records[0].micros, 5);
      assert.deepEqual(read.problems, [{ file, offset: head.length, severity: 'error', message }]);
      assert.equal(read.dataSha256, sha256(content));
    }
  });

  it('rejects what is not a capture, naming the file and what it found', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty.pcap', Buffer.alloc(0), /empty\.pcap: empty file$/],
      ['page.pcap', Buffer.from('<html><body>not found</body></html>\n'), /page\.pcap: not a pcap or pcapng file \(first bytes 3c 68 74 6d\)$/],
      ['two.pcap', Buffer.from([0xd4, 0xc3]), /two\.pcap: not a pcap or pcapng file \(first bytes d4 c3\)$/],
      ['header.pcap', pcapHeader(0xa1b2c3d4, true, 65535, 1).subarray(0, 10), /header\.pcap: pcap file header truncated: 10 of 24 bytes$/],
      ['header.pcapng', shb(true).subarray(0, 20), /header\.pcapng: pcapng section header truncated: 20 bytes$/],
      ['text.gz', gzipSync('hello, world\n'), /text\.gz: not a pcap or pcapng file \(first bytes 68 65 6c 6c\)$/],
    ];
    for (const [name, content, message] of cases) {
      const file = write(name, content);
      await assert.rejects(readCapture(file, () => assert.fail('no record expected')), (e: Error) => {
        assert.match(e.message, message);
        assert.ok(e.message.startsWith(file));
        return true;
      });
    }
  });

  it('records straddling the read buffer, and records larger than it, come out the same', async () => {
    const { content } = twoSections();
    const files = [
      join(PCAPS, 'smb__smb3_multichannel.pcap'),
      join(PCAPS, 'http__cooper-grill-dvwa.pcapng'),
      join(PCAPS, 'tls__tls-fragmented-handshake.pcap.gz'),
      write('sections.pcapng', content),
      write('cut-sections.pcapng', content.subarray(0, content.length - 30)),
    ];
    for (const file of files) {
      const reference = await readAll(file);
      for (const bufferSize of [1, 13, 100, 1000, 4096, 65536]) {
        const read = await readAll(file, { bufferSize });
        assert.deepEqual(read.records, reference.records, `${file} with a ${bufferSize}-byte buffer`);
        assert.deepEqual(read.problems, reference.problems);
        assert.deepEqual(read.info, reference.info);
        assert.equal(read.dataSha256, reference.dataSha256);
      }
    }
  });

  it('a capture larger than the read buffer: every record, offsets contiguous, progress every few MiB', async () => {
    const source = readFileSync(join(PCAPS, 'smb__smb3_multichannel.pcap'));
    const content = Buffer.concat([source, ...Array.from({ length: 7 }, () => source.subarray(24))]);
    assert.ok(content.length > 16 << 20);
    const file = write('big.pcap', content);
    const read = await readAll(file);
    assert.deepEqual(read.problems, []);
    assert.equal(read.records.length, 8 * 1448);
    let offset = 24;
    for (const r of read.records) {
      assert.equal(r.offset, offset);
      assert.ok(r.data.equals(content.subarray(offset + 16, offset + 16 + r.caplen)));
      offset += r.recordLength;
    }
    assert.equal(offset, content.length);
    assert.equal(read.dataSha256, sha256(content));
    assert.equal(read.progress.at(-1), content.length);
    assert.ok(read.progress.length >= 2 && read.progress.length <= 1 + content.length / (4 << 20));
    for (let i = 1; i < read.progress.length; i++) assert.ok(read.progress[i] >= read.progress[i - 1]);
  });
});

describe('readCapture: a look at the start', () => {
  for (const name of ['http__bro.org.pcap', 'http__cooper-grill-dvwa.pcapng', 'tls__tls-fragmented-handshake.pcap.gz']) {
    it(`${name}: maxRecords 1 gives the header and the first record only`, async () => {
      const whole = await readAll(corpusPath('pcaps', name));
      const first = await readAll(corpusPath('pcaps', name), { maxRecords: 1 });
      assert.deepEqual(first.records, whole.records.slice(0, 1));
      assert.deepEqual(first.problems, []);
      assert.deepEqual([first.info.format, first.info.linkTypes, first.info.littleEndian, first.info.nanosecond],
        [whole.info.format, whole.info.linkTypes, whole.info.littleEndian, whole.info.nanosecond]);
    });
  }

  it('a first record longer than the small buffers a look starts with (64 KiB) comes whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capture-reader-'));
    try {
      const file = join(dir, 'long-first.pcap');
      const first = bytes(200000, 3);
      writeFileSync(file, Buffer.concat([pcapHeader(0xa1b2c3d4, true, 262144, 1), pcapRecord(true, 1, 2, first), pcapRecord(true, 3, 4, bytes(60, 5))]));
      const read = await readAll(file, { maxRecords: 1 });
      assert.deepEqual(read.problems, []);
      assert.deepEqual(read.records.map(r => [r.offset, r.caplen, sha256(r.data)]), [[24, 200000, sha256(first)]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
