// pcapng's blocks as the capture reader reads them and the capture writer copies them: one home for the layout.

/** Block types. */
export const SHB = 0x0a0d0d0a;
export const IDB = 1;
export const PB = 2; // obsolete Packet Block
export const SPB = 3;
export const EPB = 6;
/** Interface Description Block options. */
export const OPT_TSRESOL = 9;
export const OPT_TSOFFSET = 14;

/** Units per second of an interface's timestamps, from its if_tsresol byte: high bit set, 2^-n seconds, else 10^-n. */
export function unitsPerSecond(tsresol: number): bigint {
  return tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
}

/** The fields of an Enhanced or obsolete Packet Block (32 bytes at least: its header, these fields, its trailer). */
export interface PacketBlockFields {
  /** The interface, numbered within the block's section. */
  interfaceId: number;
  /** The 64-bit timestamp, in the interface's unit. */
  high: number;
  low: number;
  caplen: number;
  origlen: number;
  /** Where the packet's bytes start. */
  dataOffset: number;
}

/** Reads the EPB or PB of `type` at `pos` into `into` (reused by the reader: nothing allocated per packet). */
export function readPacketBlock(view: DataView, pos: number, le: boolean, type: number, into: PacketBlockFields): PacketBlockFields {
  into.interfaceId = type === EPB ? view.getUint32(pos + 8, le) : view.getUint16(pos + 8, le);
  into.high = view.getUint32(pos + 12, le);
  into.low = view.getUint32(pos + 16, le);
  into.caplen = view.getUint32(pos + 20, le);
  into.origlen = view.getUint32(pos + 24, le);
  into.dataOffset = pos + 28;
  return into;
}
