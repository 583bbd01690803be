// Capture files byte by byte, for tests that need inputs the corpus lacks.

export function u32(value: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(value >>> 0);
  else b.writeUInt32BE(value >>> 0);
  return b;
}
export function u16(value: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(value);
  else b.writeUInt16BE(value);
  return b;
}
export const pad4 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);

export function pcapHeader(magic: number, le: boolean, snaplen: number, linkTypeField: number): Buffer {
  return Buffer.concat([u32(magic, le), u16(2, le), u16(4, le), u32(0, le), u32(0, le), u32(snaplen, le), u32(linkTypeField, le)]);
}
export function pcapRecord(le: boolean, seconds: number, fraction: number, data: Buffer, origlen = data.length, caplen = data.length): Buffer {
  return Buffer.concat([u32(seconds, le), u32(fraction, le), u32(caplen, le), u32(origlen, le), data]);
}

export function block(le: boolean, type: number, body: Buffer): Buffer {
  const padded = pad4(body);
  const length = 12 + padded.length;
  return Buffer.concat([u32(type, le), u32(length, le), padded, u32(length, le)]);
}
export function option(le: boolean, code: number, value: Buffer): Buffer {
  return Buffer.concat([u16(code, le), u16(value.length, le), pad4(value)]);
}
export const endOfOptions = (le: boolean) => option(le, 0, Buffer.alloc(0));
export function shb(le: boolean): Buffer {
  return block(le, 0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), Buffer.alloc(8, 0xff)]));
}
export function idb(le: boolean, linkType: number, snaplen: number, ...options: Buffer[]): Buffer {
  const opts = options.length ? Buffer.concat([...options, endOfOptions(le)]) : Buffer.alloc(0);
  return block(le, 1, Buffer.concat([u16(linkType, le), u16(0, le), u32(snaplen, le), opts]));
}
export const timestamp64 = (units: bigint, le: boolean) => Buffer.concat([u32(Number(units >> 32n), le), u32(Number(units & 0xffffffffn), le)]);
export function epb(le: boolean, iface: number, units: bigint, data: Buffer, origlen = data.length): Buffer {
  return block(le, 6, Buffer.concat([u32(iface, le), timestamp64(units, le), u32(data.length, le), u32(origlen, le), data]));
}
export function obsoletePb(le: boolean, iface: number, drops: number, units: bigint, data: Buffer, origlen: number): Buffer {
  return block(le, 2, Buffer.concat([u16(iface, le), u16(drops, le), timestamp64(units, le), u32(data.length, le), u32(origlen, le), data]));
}
export function spb(le: boolean, origlen: number, data: Buffer): Buffer {
  return block(le, 3, Buffer.concat([u32(origlen, le), data]));
}
export function int64(value: bigint, le: boolean): Buffer {
  const b = Buffer.alloc(8);
  if (le) b.writeBigInt64LE(value);
  else b.writeBigInt64BE(value);
  return b;
}
