// The interface between the capture reader / packet decoder and what uses them
// (the packet index, extraction). Kept small and allocation-free: the reader
// hands out one reused record object, valid only during the callback.

/** A link-layer header type (LINKTYPE_* of pcap/pcapng). */
export type LinkType = number;

export const LINKTYPE = {
  NULL: 0, // BSD loopback: 4-byte host-order address family
  ETHERNET: 1,
  RAW: 101, // raw IPv4/IPv6
  LOOP: 108, // OpenBSD loopback: 4-byte network-order address family
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** What one capture file is, as the reader found it. */
export interface CaptureInfo {
  format: 'pcap' | 'pcapng';
  /** Whether the file was gzip-compressed (offsets are then into the decompressed stream). */
  gzip: boolean;
  /** pcap: the file's byte order and timestamp unit; pcapng: per section / interface. */
  littleEndian: boolean;
  nanosecond: boolean;
  snaplen: number;
  /** pcap: the one link type; pcapng: one per interface, in interface order (all sections). */
  linkTypes: LinkType[];
  /** The same interfaces, as written again when packets are copied into another capture. */
  interfaces: CaptureInterface[];
  /** pcapng: where each section starts, and the number (in `interfaces`) of its first interface. */
  sections: { offset: number; firstInterface: number }[];
  /** Bytes of the (decompressed) file before the first record: pcap's 24-byte header, pcapng's leading blocks. */
  headerLength: number;
}

/** A capture interface: pcap's file header, or a pcapng Interface Description Block. */
export interface CaptureInterface {
  linkType: LinkType;
  snaplen: number;
  /** Timestamp unit as pcapng's if_tsresol byte: 6 µs, 9 ns, 0x80 | n for 2^-n seconds. */
  tsresol: number;
  /** pcapng's if_tsoffset: seconds added to every timestamp. */
  tsoffset: number;
}

/** One packet record. The reader reuses this object; copy what you keep. */
export interface CaptureRecord {
  /** Byte offset of the record in the (decompressed) file: pcap's 16-byte record header, or the pcapng block. */
  offset: number;
  /** Bytes the record takes in the file (record header + data, or the whole pcapng block). */
  recordLength: number;
  /** Timestamp: whole microseconds since the epoch, and the nanoseconds beyond them (0..999). */
  micros: number;
  nanos: number;
  caplen: number;
  origlen: number;
  linkType: LinkType;
  /** pcapng interface id (0 for pcap). */
  interfaceId: number;
  /** The captured bytes: a view into the reader's buffer, valid only during the callback. */
  readonly data: Uint8Array;
  /** The same bytes as bytes[dataOffset, dataOffset + caplen) of the reader's buffer: no view made per packet. */
  bytes: Uint8Array;
  dataOffset: number;
}

/** Something wrong in a capture, named by file and byte offset; the reader carries on where it can. */
export interface CaptureProblem {
  file: string;
  /** Byte offset (in the decompressed stream) where it was found. */
  offset: number;
  message: string;
  /** error: records were lost (e.g. a truncated file); warning: a record was read but is odd. */
  severity: 'error' | 'warning';
}

/** One IP-level flow a packet belongs to (a packet in a tunnel belongs to several, outer to inner). */
export interface FlowLayer {
  ipVersion: 4 | 6;
  /** 4 or 16 bytes, the flow's addresses (as Zeek sees them: an IPv6 routing header's final destination, a home
   *  address option's source); owned by the layer and overwritten by the next decode (copy to keep). */
  src: Uint8Array;
  dst: Uint8Array;
  /** IP protocol number of the transport (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 132 SCTP, ...). */
  proto: number;
  /** Transport ports; for ICMP/ICMPv6 the type and code; 0 where the protocol has none. */
  srcPort: number;
  dstPort: number;
  /** False for a non-first fragment (no transport header: ports are 0, the first fragment's flow applies). */
  hasTransport: boolean;
  /** Set when the IP packet is a fragment. */
  fragment?: { id: number; offset: number; more: boolean };
  /** Byte offset of this layer's IP header in the packet data. */
  ipOffset: number;
  /** Byte offset in the packet data of the transport header (or of whatever `proto` names: a tunnel's inner IP or GRE
   *  header, ESP, ...), after any IPv6 extension headers; -1 when no byte of it is captured, for a later fragment,
   *  and after "no next header" (59). */
  transportOffset: number;
}

/** What the decoder makes of a packet. The decoder reuses the object. */
export interface DecodedPacket {
  /** Outer to inner; empty for non-IP packets (ARP, ...). */
  layers: FlowLayer[];
  /** Number of layers in use (layers may hold stale entries past it). */
  count: number;
  /** Why decoding stopped early, if it did (truncated, unknown link type, ...). */
  problem?: string;
}
