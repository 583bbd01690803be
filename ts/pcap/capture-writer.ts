// Writes packet records taken from other captures into one capture: pcap when
// every source is a pcap of one link type and time resolution (records copied
// as they are), else pcapng with an interface per source interface. The one home
// of pcap file and record headers: the pcap streams Zeek reads on its stdin
// (ts/zeek's feeds, analyze --follow's marker) are written with them too.
import { MAX_SNAPLEN } from './capture-reader';
import { CaptureInterface } from './types';
import { EPB, IDB, PB, PacketBlockFields, SHB, SPB, readPacketBlock, unitsPerSecond } from './pcapng-block';

/** A capture packets are copied from, as the index describes it. */
export interface SourceCapture {
  id: number;
  path: string;
  format: 'pcap' | 'pcapng';
  littleEndian: boolean;
  nanosecond: boolean;
  snaplen: number;
  interfaces: CaptureInterface[];
  sections: { offset: number; firstInterface: number }[];
}

/** A record to write: its bytes as in the source file, at `offset` there. */
export interface SourceRecord {
  source: SourceCapture;
  offset: number;
  /** Its time (µs), for records that carry none of their own (pcapng simple packet blocks). */
  micros: number;
  bytes: Buffer;
}

/** Larger than any record a capture can hold (pcapng blocks of the reader's limit): a bigger size means the file changed. */
export const MAX_RECORD = 16 << 20;

/** Bytes of the record that starts `head` (at least its first 16 bytes): pcap header + data, or the pcapng block. */
export function recordSize(head: Buffer, source: SourceCapture): number {
  if (source.format === 'pcap') return 16 + (source.littleEndian ? head.readUInt32LE(8) : head.readUInt32BE(8));
  return blockIsLittleEndian(head) ? head.readUInt32LE(4) : head.readUInt32BE(4);
}


const u16 = (v: number, le: boolean) => { const b = Buffer.alloc(2); if (le) b.writeUInt16LE(v); else b.writeUInt16BE(v); return b; };
const u32 = (v: number, le: boolean) => { const b = Buffer.alloc(4); if (le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); return b; };
const padding = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

/** Bytes of a pcap file header; a record's header is 16. */
export const PCAP_HEADER = 24;
export const PCAP_RECORD_HEADER = 16;

/** How a pcap stream writes its headers: byte order and time unit (µs or ns). */
export interface PcapFormat { linkType: number; littleEndian: boolean; nanosecond: boolean }

/** A pcap file header (version 2.4, no time zone) of `format`; snaplen libpcap's largest unless given. */
export function pcapHeader(format: PcapFormat, snaplen = MAX_SNAPLEN): Buffer {
  const le = format.littleEndian;
  return Buffer.concat([u32(format.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le), u16(2, le), u16(4, le), u32(0, le), u32(0, le),
    u32(snaplen, le), u32(format.linkType, le)]);
}

/** Sets the snaplen of the pcap file header at the start of `header` to libpcap's largest (Zeek takes any record then). */
export function widenSnaplen(header: Buffer, littleEndian: boolean): void {
  if (littleEndian) header.writeUInt32LE(MAX_SNAPLEN, 16);
  else header.writeUInt32BE(MAX_SNAPLEN, 16);
}

/** A little-endian 32-bit value byte by byte (Buffer's writeUInt32LE checks its arguments each time: the feeds' hot loop). */
function put32LE(c: Uint8Array, at: number, v: number): void {
  c[at] = v;
  c[at + 1] = v >>> 8;
  c[at + 2] = v >>> 16;
  c[at + 3] = v >>> 24;
}

/**
 * A pcap record header at `at` of `into`: the time `micros` (+ `nanos` when the stream is nanosecond), the captured
 * and original lengths. Little-endian nanosecond (the feeds' own streams) is written without branches.
 */
export function putRecordHeader(into: Uint8Array, at: number, micros: number, nanos: number, caplen: number, origlen: number,
  format: Pick<PcapFormat, 'littleEndian' | 'nanosecond'> = NS_LE): void {
  const seconds = Math.floor(micros / 1e6);
  if (format === NS_LE) {
    put32LE(into, at, seconds);
    put32LE(into, at + 4, (micros - seconds * 1e6) * 1000 + nanos);
    put32LE(into, at + 8, caplen);
    put32LE(into, at + 12, origlen);
    return;
  }
  const view = new DataView(into.buffer, into.byteOffset + at, PCAP_RECORD_HEADER);
  const le = format.littleEndian;
  view.setUint32(0, seconds, le);
  view.setUint32(4, format.nanosecond ? (micros - seconds * 1e6) * 1000 + nanos : micros - seconds * 1e6, le);
  view.setUint32(8, caplen, le);
  view.setUint32(12, origlen, le);
}

/** Little-endian, nanosecond: how the feeds write the streams they make themselves. */
const NS_LE = { littleEndian: true, nanosecond: true } as const;

export function outputFormat(sources: SourceCapture[]): 'pcap' | 'pcapng' {
  const first = sources[0];
  if (!first) return 'pcap';
  return sources.every(c => c.format === 'pcap' && c.interfaces[0].linkType === first.interfaces[0].linkType
    && c.nanosecond === first.nanosecond) ? 'pcap' : 'pcapng';
}

/** pcap: the first source's byte order, magic and link type; records of another byte order get their header turned round. */
export function pcapChunks(records: SourceRecord[], sources: SourceCapture[]): Buffer[] {
  const first = sources[0];
  const le = first ? first.littleEndian : true;
  const snaplen = Math.max(65535, ...sources.map(c => c.snaplen));
  const chunks: Buffer[] = [pcapHeader({ linkType: first?.interfaces[0].linkType ?? 1, littleEndian: le, nanosecond: !!first?.nanosecond }, snaplen)];
  for (const { source, bytes } of records) {
    if (source.littleEndian === le) { chunks.push(bytes); continue; }
    const read = (i: number) => (source.littleEndian ? bytes.readUInt32LE(i) : bytes.readUInt32BE(i));
    chunks.push(Buffer.concat([u32(read(0), le), u32(read(4), le), u32(read(8), le), u32(read(12), le), bytes.subarray(16)]));
  }
  return chunks;
}

function block(type: number, body: Buffer): Buffer {
  const length = 12 + body.length;
  return Buffer.concat([u32(type, true), u32(length, true), body, u32(length, true)]);
}

function option(code: number, value: Buffer): Buffer {
  return Buffer.concat([u16(code, true), u16(value.length, true), value, padding(value.length)]);
}

function interfaceBlock(i: CaptureInterface): Buffer {
  const options: Buffer[] = [];
  if (i.tsresol !== 6) options.push(option(9, Buffer.from([i.tsresol])));
  if (i.tsoffset !== 0) { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(i.tsoffset)); options.push(option(14, b)); }
  if (options.length) options.push(Buffer.alloc(4)); // opt_endofopt
  return block(IDB, Buffer.concat([u16(i.linkType, true), u16(0, true), u32(i.snaplen, true), ...options]));
}

function enhancedPacket(interfaceId: number, units: bigint, caplen: number, origlen: number, data: Buffer): Buffer {
  return block(EPB, Buffer.concat([u32(interfaceId, true), u32(Number(units >> 32n), true), u32(Number(units & 0xffffffffn), true),
    u32(caplen, true), u32(origlen, true), data, padding(data.length)]));
}

/**
 * pcapng, little-endian, one section: an interface for each source interface
 * used, described as the source described it (link type, snaplen, time unit and
 * offset). Little-endian Enhanced Packet Blocks are copied as they are but for
 * their interface number; other packet blocks become Enhanced Packet Blocks
 * with the same time, lengths and bytes (big-endian blocks lose their options).
 */
export function pcapngChunks(records: SourceRecord[]): Buffer[] {
  const shb = Buffer.concat([u32(0x1a2b3c4d, true), u16(1, true), u16(0, true), Buffer.alloc(8, 0xff)]);
  const chunks: Buffer[] = [block(SHB, shb)];
  const numbers = new Map<string, number>();
  const interfaceNumber = (source: SourceCapture, global: number): number => {
    const key = `${source.id}:${global}`;
    let n = numbers.get(key);
    if (n === undefined) {
      const described = source.interfaces[global];
      if (!described) throw new Error(`${source.path}: packet at an interface the capture does not describe (${global})`);
      n = numbers.size;
      numbers.set(key, n);
      chunks.push(interfaceBlock(described));
    }
    return n;
  };
  for (const { source, offset, micros, bytes } of records) {
    if (source.format === 'pcap') {
      const le = source.littleEndian;
      const read = (i: number) => (le ? bytes.readUInt32LE(i) : bytes.readUInt32BE(i));
      const id = interfaceNumber(source, 0);
      const units = BigInt(read(0)) * (source.nanosecond ? 1000000000n : 1000000n) + BigInt(read(4));
      chunks.push(enhancedPacket(id, units, read(8), read(12), bytes.subarray(16, 16 + read(8))));
      continue;
    }
    // The section the block is in numbers its interfaces from its own first one.
    const section = [...source.sections].reverse().find(s => s.offset <= offset) ?? { offset: 0, firstInterface: 0 };
    const le = blockIsLittleEndian(bytes);
    const read32 = (i: number) => (le ? bytes.readUInt32LE(i) : bytes.readUInt32BE(i));
    const type = read32(0);
    if (type === EPB || type === PB) {
      const f = readPacketBlock(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), 0, le, type, {} as PacketBlockFields);
      const id = interfaceNumber(source, section.firstInterface + f.interfaceId);
      if (type === EPB && le) {
        const copy = Buffer.from(bytes);
        copy.writeUInt32LE(id, 8);
        chunks.push(copy);
      } else {
        chunks.push(enhancedPacket(id, (BigInt(f.high) << 32n) | BigInt(f.low), f.caplen, f.origlen,
          bytes.subarray(f.dataOffset, f.dataOffset + f.caplen)));
      }
    } else if (type === SPB) {
      const global = section.firstInterface;
      const id = interfaceNumber(source, global);
      const described = source.interfaces[global];
      const origlen = read32(8);
      const caplen = Math.min(origlen, bytes.length - 16, described.snaplen || Infinity);
      // No time of its own: the one the index gave it, in the interface's unit.
      const units = ((BigInt(micros) - BigInt(described.tsoffset) * 1000000n) * unitsPerSecond(described.tsresol)) / 1000000n;
      chunks.push(enhancedPacket(id, units, caplen, origlen, bytes.subarray(12, 12 + caplen)));
    } else {
      throw new Error(`${source.path}: no packet block at byte ${offset} (type ${type}): the file changed since it was indexed`);
    }
  }
  return chunks;
}

/** A block's byte order (its section's), from its type field: packet block types are small numbers. */
function blockIsLittleEndian(bytes: Buffer): boolean {
  return bytes.readUInt32LE(0) < 0x10000;
}
