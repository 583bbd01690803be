// Writes packet records taken from other captures into one capture: pcap when
// every source is a pcap of one link type and time resolution (records copied
// as they are), else pcapng with an interface per source interface.
import { CaptureInterface } from './types';

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

const EPB = 6;
const PB = 2;
const SPB = 3;

const u16 = (v: number, le: boolean) => { const b = Buffer.alloc(2); if (le) b.writeUInt16LE(v); else b.writeUInt16BE(v); return b; };
const u32 = (v: number, le: boolean) => { const b = Buffer.alloc(4); if (le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); return b; };
const padding = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

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
  const chunks: Buffer[] = [Buffer.concat([u32(first?.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le), u16(2, le), u16(4, le), u32(0, le), u32(0, le),
    u32(snaplen, le), u32(first?.interfaces[0].linkType ?? 1, le)])];
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
  return block(1, Buffer.concat([u16(i.linkType, true), u16(0, true), u32(i.snaplen, true), ...options]));
}

/** Units per second of an interface's timestamps. */
function unitsPerSecond(tsresol: number): bigint {
  return tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
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
  const chunks: Buffer[] = [block(0x0a0d0d0a, shb)];
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
    if (type === EPB) {
      const id = interfaceNumber(source, section.firstInterface + read32(8));
      if (le) {
        const copy = Buffer.from(bytes);
        copy.writeUInt32LE(id, 8);
        chunks.push(copy);
      } else {
        const caplen = read32(20);
        chunks.push(enhancedPacket(id, (BigInt(read32(12)) << 32n) | BigInt(read32(16)), caplen, read32(24), bytes.subarray(28, 28 + caplen)));
      }
    } else if (type === PB) {
      const local = le ? bytes.readUInt16LE(8) : bytes.readUInt16BE(8);
      const id = interfaceNumber(source, section.firstInterface + local);
      const caplen = read32(20);
      chunks.push(enhancedPacket(id, (BigInt(read32(12)) << 32n) | BigInt(read32(16)), caplen, read32(24), bytes.subarray(28, 28 + caplen)));
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
