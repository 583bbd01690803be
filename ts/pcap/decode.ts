// Which IP flows a captured packet belongs to, outer to inner, decoded the way Zeek 8.0.10 decodes it: its
// packet analyzers (src/packet_analysis/protocol/<name>/, named in the comments below) and their dispatch
// tables (scripts/base/packet-protocols/<name>/main.zeek), so that each packet joins the conn.log records
// Zeek made of it.
//
// Allocation-free on every path but one rare problem message (an unknown link type): the caller's DecodedPacket and its layer
// objects are reused, each layer copies its addresses into buffers it owns, the state of the packet being
// decoded lives in its PacketDecoder (no closures), and nothing throws.
import { DecodedPacket, FlowLayer, LinkType } from './types';

/** Zeek's Tunnel::max_depth (init-bare.zeek): encapsulations nested deeper are not decoded. */
const MAX_TUNNELS = 4;
/**
 * Link-layer headers one packet may nest (802.1Q tags, PBB in Ethernet, ...), each a call deeper on the stack: a
 * packet of thousands overflowed it. Zeek itself drops a packet at 25 analyzers (PacketAnalyzer::max_depth: 22 tags).
 */
const MAX_LINK_HEADERS = 256;

// IP protocol numbers.
const HOP_BY_HOP = 0;
const ICMP = 1;
const IP_IN_IP = 4;
const TCP = 6;
const UDP = 17;
const IPV6_IN_IP = 41;
const ROUTING = 43;
const FRAGMENT = 44;
const GRE = 47;
const AH = 51;
const ICMP6 = 58;
const NO_NEXT_HEADER = 59;
const DESTINATION_OPTIONS = 60;

// UDP ports Zeek hands to a tunnel analyzer (vxlan/, geneve/, teredo/, gtpv1/, ayiya/, gre/ main.zeek).
const VXLAN_PORT = 4789;
const GENEVE_PORT = 6081;
const TEREDO_PORT = 3544;
const GTP_USER_PORT = 2152;
const GTP_CONTROL_PORT = 2123;
const AYIYA_PORT = 5072;
const GRE_IN_UDP_PORT = 4754;

// Tunnel kinds, for Zeek's "never GTP in GTP" rule.
const NO_TUNNEL = 0;
const GTP_TUNNEL = 1;
const OTHER_TUNNEL = 2;

/** A FlowLayer that owns its address buffers and fragment record, so decoding reuses rather than allocates. */
class Layer implements FlowLayer {
  ipVersion: 4 | 6 = 4;
  src: Uint8Array;
  dst: Uint8Array;
  proto = 0;
  srcPort = 0;
  dstPort = 0;
  hasTransport = false;
  fragment: { id: number; offset: number; more: boolean } | undefined = undefined;
  ipOffset = 0;
  transportOffset = -1;
  readonly src4: Uint8Array;
  readonly dst4: Uint8Array;
  readonly src6: Uint8Array;
  readonly dst6: Uint8Array;
  readonly fragmentRecord = { id: 0, offset: 0, more: false };

  constructor() {
    const bytes = new ArrayBuffer(40);
    this.src4 = new Uint8Array(bytes, 0, 4);
    this.dst4 = new Uint8Array(bytes, 4, 4);
    this.src6 = new Uint8Array(bytes, 8, 16);
    this.dst6 = new Uint8Array(bytes, 24, 16);
    this.src = this.src4;
    this.dst = this.dst4;
  }
}

const UNKNOWN_IP_VERSION: string[] = [];
for (let v = 0; v < 16; v++) UNKNOWN_IP_VERSION.push(`unknown IP version ${v}`);

function u16(d: Uint8Array, at: number): number {
  return (d[at] << 8) | d[at + 1];
}

function u32(d: Uint8Array, at: number): number {
  return d[at] * 0x1000000 + ((d[at + 1] << 16) | (d[at + 2] << 8) | d[at + 3]);
}

// ---- Link layers ----

function isLoopbackIp(family: number): boolean {
  return family === 2 || family === 24 || family === 28 || family === 30;
}

// ---- IP ----

function setFragment(layer: Layer, id: number, offset: number, more: boolean): void {
  const record = layer.fragmentRecord;
  record.id = id;
  record.offset = offset;
  record.more = more;
  layer.fragment = record;
  // A later fragment has no transport header: it belongs to the flow of its datagram's first fragment.
  if (offset !== 0) layer.hasTransport = false;
}

/**
 * The extension headers Zeek's chain walks through (IP.cc isIPv6ExtHeader). ESP and mobility headers end it too:
 * beyond ESP all is encrypted, and a mobility header is a message with no transport; they stand as the protocol.
 */
function isChainedHeader(next: number): boolean {
  return next === HOP_BY_HOP || next === ROUTING || next === FRAGMENT || next === DESTINATION_OPTIONS || next === AH;
}

/** IP.h IPv6_Hdr::Length. */
function extensionLength(d: Uint8Array, at: number, type: number): number {
  if (type === FRAGMENT) return 8;
  if (type === AH) return 8 + 4 * d[at + 1];
  return 8 + 8 * d[at + 1];
}

/** The offset of a home address option (type 201, 16 bytes) in destination options [at, end), or -1 (IP.cc). */
function homeAddressOption(d: Uint8Array, at: number, end: number): number {
  while (at < end) {
    const type = d[at];
    if (type === 0) {
      at++; // Pad1
      continue;
    }
    if (end - at < 2 || end - at < 2 + d[at + 1]) return -1;
    if (type === 201 && d[at + 1] === 16) return at + 2;
    at += 2 + d[at + 1];
  }
  return -1;
}

/**
 * An IP header where the outer one promised it (IP::ParsePacket, ip/IP.cc, used by iptunnel/IPTunnel.cc for IP in
 * IP and enhanced GRE, and by GTP): the promised version, and a length filling the outer payload exactly. Zeek
 * compares with the captured bytes, so a capture cut short by its snap length loses the inner flow; here the lengths
 * the headers claim are compared, and for an outer first fragment the inner packet may be longer.
 */
function innerIpFits(d: Uint8Array, off: number, end: number, lengthEnd: number, version: number, fragment: boolean): boolean {
  if (end - off < (version === 4 ? 20 : 40) || (d[off] >> 4) !== version) return false;
  const total = version === 4 ? u16(d, off + 2) : 40 + u16(d, off + 4);
  return total === lengthEnd - off || (fragment && total > lengthEnd - off);
}

/** gre/GRE.cc: header length by its flags (routing is refused). */
function greHeaderLength(flags: number): number {
  let length = 4;
  if (flags & 0x8000) length += 4; // checksum
  if (flags & 0x2000) length += 4; // key
  if (flags & 0x1000) length += 4; // sequence number
  if (flags & 0x0080) length += 4; // acknowledgment (enhanced GRE)
  return length;
}

/** Aruba's GRE protocol types carry 802.11 frames (gre/GRE.cc). */
function isArubaType(type: number): boolean {
  return ((type & 0x8200) === 0x8200 && (type & 0x0f) === 0)
    || ((type & 0x8300) === 0x8300 && (type & 0x0f) === 0 && type <= 0x8370) || type === 0x9000;
}

const GRE_RAW = 0;
const GRE_ETHERNET = 1;
const GRE_80211 = 2;

// ---- Tunnels in UDP ----

function isTunnelPort(port: number): boolean {
  return port === VXLAN_PORT || port === GENEVE_PORT || port === TEREDO_PORT || port === GTP_USER_PORT
    || port === GTP_CONTROL_PORT || port === AYIYA_PORT || port === GRE_IN_UDP_PORT;
}

/** AYIYAAnalyzer::DetectProtocol. */
function looksLikeAyiya(d: Uint8Array, off: number, end: number): boolean {
  return end - off >= 3 && d[off + 1] === 0x52 && d[off + 2] === 0x11;
}

/**
 * TeredoAnalyzer::DetectProtocol: IPv6 with a Teredo (2001:0::/32) address, or authentication and/or origin
 * indication headers before IPv6.
 */
function looksLikeTeredo(d: Uint8Array, off: number, end: number): boolean {
  let length = end - off;
  if (length < 40) return false;
  if (d[off] >> 4 !== 6 && (d[off] !== 0 || (d[off + 1] !== 0 && d[off + 1] !== 1))) return false;
  // Its pattern, matched against the payload's start: IPv6 with a Teredo source or destination address.
  if (d[off] >> 4 === 6 && (isTeredoPrefix(d, off + 8) || isTeredoPrefix(d, off + 24))) return true;
  let value = d[off + 1];
  if (value === 1) {
    const skip = 13 + d[off + 2] + d[off + 3];
    if (length < skip) return false;
    off += skip;
    length -= skip;
    if (length < 40) return false;
    value = u16(d, off);
  }
  if (value !== 0 || length < 8) return false;
  return length - 8 >= 40 && d[off + 8] >> 4 === 6;
}

function isTeredoPrefix(d: Uint8Array, at: number): boolean {
  return d[at] === 0x20 && d[at + 1] === 0x01 && d[at + 2] === 0 && d[at + 3] === 0;
}

/**
 * Decodes packets: each call to decode() fills the DecodedPacket it is given. The state of the packet being
 * decoded lives in this object (no closures, nothing allocated per packet), so decoders do not share it.
 */
export class PacketDecoder {
  /** The packet being decoded. */
  private out: DecodedPacket = { layers: [], count: 0 };
  /** Tunnels entered so far (Zeek's encapsulation depth), and the innermost one's kind. */
  private tunnels = 0;
  private lastTunnel = NO_TUNNEL;
  /** Link-layer headers dispatched by Ethernet type so far in this packet. */
  private linkHeaders = 0;
  /** Where the packet starts in the bytes given (offsets in layers are from here). */
  private packetStart = 0;

  /**
   * Decodes one captured packet of link type `linkType` into `decoded`: decoded.layers[0, decoded.count) are its IP
   * layers, outer to inner (one per IP header, each with its transport ports), and decoded.problem says why decoding
   * stopped early, if it did. Non-IP packets (ARP, STP, ...) give no layers and no problem. The layer objects (and
   * their address bytes) are reused by the next call: copy what you keep. Layer objects this module did not make
   * are replaced by its own. The packet may be data[start, end) of a larger buffer (the reader's, without a copy):
   * nothing outside it is read, and layer offsets count from `start`.
   */
  decode(data: Uint8Array, linkType: LinkType, decoded: DecodedPacket, start = 0, end = data.length): DecodedPacket {
    this.out = decoded;
    decoded.count = 0;
    decoded.problem = undefined;
    this.tunnels = 0;
    this.lastTunnel = NO_TUNNEL;
    this.linkHeaders = 0;
    this.packetStart = start;
    this.linkLayer(data, start, end, linkType);
    return decoded;
  }

  private fail(problem: string): void {
    if (this.out.problem === undefined) this.out.problem = problem;
  }

  private linkLayer(d: Uint8Array, start: number, end: number, linkType: number): void {
    switch (linkType) {
      case 0: return this.loopback(d, start, end); // NULL
      case 108: return this.loopback(d, start, end); // LOOP
      case 1: return this.ethernet(d, start, end);
      case 9: return this.ppp(d, start, end);
      case 10: return this.fddi(d, start, end);
      case 50: return this.pppSerial(d, start, end);
      case 105: return this.ieee80211(d, start, end);
      case 113: return this.linuxSll(d, start, end);
      case 127: return this.radiotap(d, start, end);
      case 239: return this.nflog(d, start, end);
      case 276: return this.linuxSll2(d, start, end);
      // Raw IP (101, which libpcap reads as DLT_RAW: 12, or 14 on OpenBSD; 228 IPv4; 229 IPv6). Zeek's root hands
      // every link type it has no analyzer for to IP (root/main.zeek default_analyzer), which reads the version;
      // here only these, and any other is reported.
      case 12: case 14: case 101: case 228: case 229: return this.ip(d, start, end);
      default: return this.fail(`unknown link type ${linkType}`);
    }
  }

  /**
   * BSD loopback (NULL: the address family in the capturing host's byte order) and OpenBSD's (LOOP: network order).
   * null/Null.cc wants more than the 4-byte header and reads the family little-endian; Zeek has no analyzer for LOOP
   * (its root hands it to IP, which fails on the family). Here both, in either byte order.
   */
  private loopback(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 4) return this.fail('truncated loopback header');
    const little = d[off] | (d[off + 1] << 8) | (d[off + 2] << 16) | (d[off + 3] << 24);
    const big = (d[off] << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3];
    // null/main.zeek: AF_INET 2; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (Darwin). Others carry no IP.
    if (isLoopbackIp(little) || isLoopbackIp(big)) this.ip(d, off + 4, end);
  }

  private ethernet(d: Uint8Array, off: number, end: number): void {
    // ethernet/Ethernet.cc wants more than 16 bytes.
    if (end - off <= 16) return this.fail('truncated Ethernet header');
    if (d[off + 12] === 0x89 && d[off + 13] === 0x03) {
      // Cisco FabricPath: a 16-byte header before the Ethernet one.
      if (end - off <= 30) return this.fail('truncated Cisco FabricPath header');
      off += 16;
    }
    const type = u16(d, off + 12);
    if (type >= 1536) return this.byEtherType(d, off + 14, end, type, false);
    if (type <= 1500) {
      // 802.3: a length, then 802.2 LLC; Zeek drops the frame when fewer bytes than the length were captured.
      if (end - off - 14 < type) return this.fail('truncated 802.3 frame');
      return this.ieee8022(d, off + 14, end);
    }
    // 1501..1535 is neither a length nor a type ("undefined_ether_type"): nothing to decode.
  }

  /** What an Ethernet or 802.1Q header's type leads to (ethernet/main.zeek, vlan/main.zeek); non-IP types give nothing. */
  private byEtherType(d: Uint8Array, off: number, end: number, type: number, inVlan: boolean): void {
    if (++this.linkHeaders > MAX_LINK_HEADERS) return this.fail(`more than ${MAX_LINK_HEADERS} nested link-layer headers`);
    switch (type) {
      case 0x0800: case 0x86dd: return this.ip(d, off, end);
      case 0x8100: return this.vlan(d, off, end);
      // QinQ outer tags: only from Ethernet; 802.1Q's table has 0x8100 alone.
      case 0x88a8: case 0x9100: if (!inVlan) this.vlan(d, off, end); return;
      case 0x8847: return this.mpls(d, off, end); // MPLS unicast (not multicast 0x8848: no analyzer)
      case 0x8864: return this.pppoe(d, off, end); // PPPoE session (not discovery 0x8863)
      case 0x8926: return this.vntag(d, off, end);
      case 0x88e7: return this.pbb(d, off, end);
    }
  }

  /** Where SNAP, Linux cooked captures, 802.11 and Geneve dispatch by Ethernet type: to IP (or ARP: nothing). */
  private ipByEtherType(d: Uint8Array, off: number, end: number, type: number): void {
    if (type === 0x0800 || type === 0x86dd) this.ip(d, off, end);
  }

  /** 802.2 after an 802.3 length (ethernet/Ethernet.cc, vlan/VLAN.cc): SNAP carries IP; Novell raw and other LLC do not. */
  private ieee8022(d: Uint8Array, off: number, end: number): void {
    if (end - off >= 2 && d[off] === 0xaa && d[off + 1] === 0xaa) this.snap(d, off, end);
  }

  /** snap/SNAP.cc: an LLC header of 3 bytes (4 when the control field is numbered), the OUI and an Ethernet type. */
  private snap(d: Uint8Array, off: number, end: number): void {
    if (end - off < 3) return this.fail('truncated SNAP header');
    const llcLength = (d[off + 2] & 0x03) === 0x03 ? 3 : 4;
    if (end - off < llcLength + 5) return this.fail('truncated SNAP header');
    const at = off + llcLength;
    // Zeek dispatches on OUI << 16 | type, and registers IP only under OUI 0 (snap/main.zeek).
    if (d[at] !== 0 || d[at + 1] !== 0 || d[at + 2] !== 0) return;
    this.ipByEtherType(d, at + 5, end, u16(d, at + 3));
  }

  /** 802.1Q / 802.1ad tag (vlan/VLAN.cc). */
  private vlan(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 4) return this.fail('truncated VLAN header');
    const type = u16(d, off + 2);
    if (type >= 1536) return this.byEtherType(d, off + 4, end, type, true);
    if (type <= 1500) {
      if (end - off - 4 < 2) return this.fail('truncated VLAN frame');
      this.ieee8022(d, off + 4, end);
    }
  }

  /** Cisco VNTag (vntag/VNTag.cc): its table leads to 802.1Q only (vntag/main.zeek). */
  private vntag(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 6) return this.fail('truncated VNTag header');
    const type = u16(d, off + 4);
    if (type === 0x8100 || type === 0x88a8 || type === 0x9100) this.vlan(d, off + 6, end);
  }

  /** 802.1ah provider backbone bridging (pbb/PBB.cc): a 4-byte I-TAG, then the customer's Ethernet frame. */
  private pbb(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 18) return this.fail('truncated PBB header');
    this.ethernet(d, off + 4, end);
  }

  /** mpls/MPLS.cc: skip the label stack to its bottom; RFC 3032 does not name the payload, Zeek takes it as IP. */
  private mpls(d: Uint8Array, off: number, end: number): void {
    for (;;) {
      if (end - off <= 4) return this.fail('truncated MPLS label stack');
      const bottom = d[off + 2] & 0x01;
      off += 4;
      if (bottom) break;
    }
    this.ip(d, off, end);
  }

  /** pppoe/PPPoE.cc: 6-byte session header and PPP's protocol; the payload is as long as the header says. */
  private pppoe(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 8) return this.fail('truncated PPPoE header');
    const length = u16(d, off + 4);
    const payloadEnd = off + 8 + (length >= 2 ? length - 2 : 0);
    this.pppPayload(d, off + 8, payloadEnd < end ? payloadEnd : end, u16(d, off + 6));
  }

  /** ppp/PPP.cc (link type 9): PPP with or without HDLC-like framing (0xff 0x03). */
  private ppp(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 2) return this.fail('truncated PPP header');
    if (d[off] === 0xff && d[off + 1] === 0x03) {
      if (end - off <= 4) return this.fail('truncated PPP header');
      return this.pppPayload(d, off + 4, end, u16(d, off + 2));
    }
    this.pppPayload(d, off + 2, end, u16(d, off));
  }

  /** ppp_serial/PPPSerial.cc (link type 50): address, control, protocol. */
  private pppSerial(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 4) return this.fail('truncated PPP header');
    this.pppPayload(d, off + 4, end, u16(d, off + 2));
  }

  /** ppp/main.zeek, pppoe/main.zeek: IPv4 0x0021, IPv6 0x0057, MPLS 0x0281 (not from PPPoE); control protocols give nothing. */
  private pppPayload(d: Uint8Array, off: number, end: number, protocol: number): void {
    if (protocol === 0x0021 || protocol === 0x0057) this.ip(d, off, end);
    else if (protocol === 0x0281) this.mpls(d, off, end);
  }

  /**
   * fddi/FDDI.cc: Zeek skips a 13-byte FDDI header and 8 bytes of LLC/SNAP and tries IP. Here the SNAP type must
   * say IP, so that other frames (SMT, non-SNAP LLC) are quietly not IP rather than "unknown IP version".
   */
  private fddi(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 21) return this.fail('truncated FDDI header');
    if (d[off + 13] !== 0xaa || d[off + 14] !== 0xaa) return;
    this.ipByEtherType(d, off + 21, end, u16(d, off + 19));
  }

  /** linux_sll/LinuxSLL.cc: a 16-byte header, the protocol (an Ethernet type) in its last 2 bytes. */
  private linuxSll(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 16) return this.fail('truncated Linux cooked header');
    this.ipByEtherType(d, off + 16, end, u16(d, off + 14));
  }

  /** linux_sll2/LinuxSLL2.cc: a 20-byte header, the protocol in its first 2 bytes. */
  private linuxSll2(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 20) return this.fail('truncated Linux cooked v2 header');
    this.ipByEtherType(d, off + 20, end, u16(d, off));
  }

  /**
   * nflog/NFLog.cc: family, version 0, resource id, then TLVs (each padded to 4 bytes) up to the packet, type 9.
   * The TLVs are in the capturing host's byte order; Zeek reads them in its own, after libpcap swapped a file from a
   * host of the other order. The decoder is not told the file's order, so it reads them little-endian unless the first
   * TLV's type only makes sense big-endian (types are small numbers).
   */
  private nflog(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 4) return this.fail('truncated NFLOG header');
    const family = d[off];
    if (d[off + 1] !== 0) return this.fail('unknown NFLOG version');
    let at = off + 4;
    const bigEndian = end - at >= 4 && d[at + 2] === 0 && d[at + 3] !== 0;
    for (;;) {
      if (end - at <= 4) return this.fail('NFLOG record without a packet');
      const length = bigEndian ? u16(d, at) : d[at] | (d[at + 1] << 8);
      const type = bigEndian ? u16(d, at + 2) : d[at + 2] | (d[at + 3] << 8);
      if (type === 9) {
        at += 4;
        break;
      }
      if (length < 4) return this.fail('bad NFLOG TLV length');
      const padded = (length + 3) & ~3;
      if (padded > end - at) return this.fail('bad NFLOG TLV length');
      at += padded;
    }
    // nflog/main.zeek: AF_INET 2 and AF_INET6 10 lead to IP.
    if (family === 2 || family === 10) this.ip(d, at, end);
  }

  /** ieee802_11_radio/IEEE802_11_Radio.cc: skip the radiotap header (its length little-endian at byte 2). */
  private radiotap(d: Uint8Array, off: number, end: number): void {
    if (end - off <= 3) return this.fail('truncated radiotap header');
    const length = d[off + 2] | (d[off + 3] << 8);
    if (length >= end - off) return this.fail('truncated radiotap header');
    this.ieee80211(d, off + length, end);
  }

  /** ieee802_11/IEEE802_11.cc: data frames, then LLC/SNAP; A-MSDU aggregates give one set of layers per subframe. */
  private ieee80211(d: Uint8Array, off: number, end: number): void {
    let header = 24;
    if (end - off <= header) return this.fail('truncated 802.11 header');
    const control = d[off];
    // Only data frames (Zeek tests the type's high bit) of subtypes that carry data (not the "null" ones).
    if (((control >> 2) & 0x02) === 0 || ((control >> 4) & 0x04) !== 0) return;
    const flags = d[off + 1];
    if ((flags & 0x03) === 0x03) header += 6; // to and from the distribution system: a fourth address
    if (end - off <= header) return this.fail('truncated 802.11 header');
    let amsdu = false;
    if ((control >> 4) & 0x08) {
      // QoS data: a 2-byte QoS control field, whose bit 7 marks an A-MSDU. Zeek looks at the protected bit only
      // here; other protected frames fail the LLC test below.
      amsdu = (d[off + header] & 0x80) !== 0;
      if (flags & 0x40) return; // encrypted
      header += 2;
    }
    if (end - off <= header) return this.fail('truncated 802.11 header');
    off += header;
    if (!amsdu) return this.ieee80211Payload(d, off, end);
    const depth = this.tunnels;
    const kind = this.lastTunnel;
    while (off < end) {
      if (end - off < 14) return this.fail('truncated 802.11 A-MSDU subframe');
      const length = u16(d, off + 12);
      if (end - off < 14 + length) return this.fail('truncated 802.11 A-MSDU subframe');
      off += 14;
      this.ieee80211Payload(d, off, off + length);
      off += length;
      // Zeek's padding rule (the subframe length modulo 4), kept so that the same subframes are found.
      const padding = length % 4;
      if (end - off >= padding) off += padding;
      this.tunnels = depth;
      this.lastTunnel = kind;
    }
  }

  /** An 802.11 payload: only LLC/SNAP with OUI 0 (encapsulated Ethernet) is decoded. */
  private ieee80211Payload(d: Uint8Array, off: number, end: number): void {
    if (end - off < 8) return this.fail('truncated 802.11 LLC header');
    if (d[off] !== 0xaa || d[off + 1] !== 0xaa || d[off + 2] !== 0x03 || d[off + 3] !== 0 || d[off + 4] !== 0
      || d[off + 5] !== 0) return;
    this.ipByEtherType(d, off + 8, end, u16(d, off + 6));
  }

  private addLayer(d: Uint8Array, ipVersion: 4 | 6, ipOffset: number, srcAt: number, dstAt: number, proto: number): Layer {
    const layers = this.out.layers;
    const existing = layers[this.out.count];
    let layer: Layer;
    if (existing instanceof Layer) layer = existing;
    else {
      layer = new Layer();
      layers[this.out.count] = layer;
    }
    this.out.count++;
    layer.ipVersion = ipVersion;
    const src = ipVersion === 4 ? layer.src4 : layer.src6;
    const dst = ipVersion === 4 ? layer.dst4 : layer.dst6;
    for (let i = 0; i < src.length; i++) {
      src[i] = d[srcAt + i];
      dst[i] = d[dstAt + i];
    }
    layer.src = src;
    layer.dst = dst;
    layer.proto = proto;
    layer.srcPort = 0;
    layer.dstPort = 0;
    layer.hasTransport = true;
    layer.fragment = undefined;
    layer.ipOffset = ipOffset - this.packetStart;
    layer.transportOffset = -1;
    return layer;
  }

  /** ip/IP.cc: 20 bytes before the version is looked at, then IPv4 or IPv6. */
  private ip(d: Uint8Array, off: number, end: number): void {
    if (end - off < 20) return this.fail('truncated IP header');
    const version = d[off] >> 4;
    if (version === 4) return this.ipv4(d, off, end);
    if (version === 6) return this.ipv6(d, off, end);
    this.fail(UNKNOWN_IP_VERSION[version]);
  }

  private ipv4(d: Uint8Array, off: number, end: number): void {
    const headerLength = (d[off] & 0x0f) * 4;
    const totalLength = u16(d, off + 2);
    // Total length 0: segmentation offload wrote the packet before its length was known. Zeek then takes the
    // captured length if ignore_checksums is set, else drops the packet (ip/IP.cc); here always the captured length.
    const ipEnd = totalLength === 0 ? end : off + totalLength;
    if (headerLength > ipEnd - off) return this.fail('IPv4 header longer than its packet');
    if (headerLength > end - off) return this.fail('truncated IPv4 header');
    if (headerLength < 20) return this.fail('IPv4 header shorter than 20 bytes');
    const layer = this.addLayer(d, 4, off, off + 12, off + 16, d[off + 9]);
    const field = u16(d, off + 6);
    // A fragment has "more fragments" set or an offset (IP.h IsFragment: ip_off & 0x3fff).
    if ((field & 0x3fff) !== 0) {
      setFragment(layer, u16(d, off + 4), (field & 0x1fff) * 8, (field & 0x2000) !== 0);
      if (!layer.hasTransport) return;
    }
    this.transport(d, layer, off + headerLength, ipEnd < end ? ipEnd : end, ipEnd);
  }

  private ipv6(d: Uint8Array, off: number, end: number): void {
    if (end - off < 40) return this.fail('truncated IPv6 header');
    const payloadLength = u16(d, off + 4);
    // Payload length 0 (a jumbogram, or segmentation offload): the capture tells the length.
    const ipEnd = payloadLength === 0 ? end : off + 40 + payloadLength;
    let next = d[off + 6];
    let at = off + 40;
    let srcAt = off + 8;
    let dstAt = off + 24;
    let finalDestination = false;
    let homed = false;
    let fragmentField = -1;
    let fragmentId = 0;
    // The extension header chain as Zeek walks it (IPv6_Hdr_Chain::Init, IP.cc), over the captured bytes.
    while (isChainedHeader(next)) {
      const length = end - at >= 2 ? extensionLength(d, at, next) : end - at + 1;
      if (length > end - at) {
        // Zeek ends the chain before a truncated header, whose type then stands as the transport protocol.
        const layer = this.addLayer(d, 6, off, srcAt, dstAt, next);
        if (at < end) layer.transportOffset = at - this.packetStart;
        return this.fail('truncated IPv6 extension header');
      }
      if (next === ROUTING && !finalDestination) {
        // IPv6_Hdr_Chain::ProcessRoutingHeader: with segments left, the flow's responder is the routing header's
        // last address (type 0 with an even length of at least 2 units; Mobile IPv6's type 2 with length 2).
        const units = d[at + 1];
        const type = d[at + 2];
        if (d[at + 3] > 0 && ((type === 0 && units >= 2 && units % 2 === 0) || (type === 2 && units === 2))) {
          dstAt = at + length - 16;
          finalDestination = true;
        }
      } else if (next === DESTINATION_OPTIONS && !homed) {
        // IPv6_Hdr_Chain::ProcessDstOpts: a Mobile IPv6 home address option makes that address the flow's source.
        const home = homeAddressOption(d, at + 2, at + length);
        if (home >= 0) {
          srcAt = home;
          homed = true;
        }
      } else if (next === FRAGMENT) {
        fragmentField = u16(d, at + 2);
        fragmentId = u32(d, at + 4);
      }
      const header = next;
      next = d[at];
      at += length;
      // Zeek's chain ends at a fragment header; the first fragment's continues once reassembled, a later one's cannot.
      if (header === FRAGMENT && (fragmentField & 0xfff8) !== 0) break;
    }
    if (at > ipEnd) return this.fail('IPv6 extension headers longer than the packet');
    const layer = this.addLayer(d, 6, off, srcAt, dstAt, next);
    if (fragmentField >= 0) {
      setFragment(layer, fragmentId, fragmentField & 0xfff8, (fragmentField & 0x0001) !== 0);
      if (!layer.hasTransport) return;
    }
    this.transport(d, layer, at, ipEnd < end ? ipEnd : end, ipEnd);
  }

  /**
   * The transport header at `off`: its bytes are captured up to `end`; the IP header says the packet ends at `ipEnd`.
   * Ports need only their 4 bytes (type and code, 2 for ICMP), where Zeek wants the whole transport header (20 bytes
   * TCP, 8 UDP and ICMP): a packet cut short by the snap length still shows its flow.
   */
  private transport(d: Uint8Array, layer: Layer, off: number, end: number, ipEnd: number): void {
    const proto = layer.proto;
    if (off < end && proto !== NO_NEXT_HEADER) layer.transportOffset = off - this.packetStart;
    switch (proto) {
      case TCP:
      case UDP:
        if (end - off < 4 || ipEnd - off < 4) return this.dropLayer(proto === TCP ? 'truncated TCP header' : 'truncated UDP header');
        layer.srcPort = u16(d, off);
        layer.dstPort = u16(d, off + 2);
        if (proto === UDP) this.udpPayload(d, layer, off, end, ipEnd);
        return;
      case ICMP:
      case ICMP6:
        // Zeek's conn has the type as orig_p, and the code (or, for request/reply pairs, the counterpart type) as resp_p.
        if (end - off < 2 || ipEnd - off < 2) return this.dropLayer(proto === ICMP ? 'truncated ICMP header' : 'truncated ICMPv6 header');
        layer.srcPort = d[off];
        layer.dstPort = d[off + 1];
        return;
      case IP_IN_IP:
      case IPV6_IN_IP:
        return this.ipInIp(d, layer, off, end, ipEnd);
      case GRE:
        return this.gre(d, off, end, ipEnd, layer.fragment !== undefined);
      // Anything else (SCTP, ESP, IGMP, mobility, ...) Zeek logs, if at all, as unknown_transport with ports 0
      // (unknown_ip_transport/UnknownIPTransport.cc): the flow is the address pair.
    }
  }

  /** Takes back the layer just added: its transport header is too short to name the flow. */
  private dropLayer(problem: string): void {
    this.out.count--;
    this.fail(problem);
  }

  private enterTunnel(kind: number): boolean {
    if (this.tunnels >= MAX_TUNNELS) {
      this.fail('tunnels nested deeper than Tunnel::max_depth (4)');
      return false;
    }
    this.tunnels++;
    this.lastTunnel = kind;
    return true;
  }

  /** IP in IP (4) and IPv6 in IP (41): iptunnel/IPTunnel.cc. */
  private ipInIp(d: Uint8Array, layer: Layer, off: number, end: number, ipEnd: number): void {
    const version = layer.proto === IP_IN_IP ? 4 : 6;
    if (!innerIpFits(d, off, end, ipEnd, version, layer.fragment !== undefined)) {
      return this.fail(version === 4 ? 'IP in IP payload is not one IPv4 packet' : 'IPv6 in IP payload is not one IPv6 packet');
    }
    if (this.enterTunnel(OTHER_TUNNEL)) this.ip(d, off, end);
  }

  /**
   * gre/GRE.cc, then iptunnel/IPTunnel.cc. Version 0: transparent Ethernet bridging (0x6558) and ERSPAN (0x88be
   * type I/II, 0x22eb type III) carry Ethernet, Aruba types carry 802.11, and every other protocol type is taken as
   * raw IP (gre/main.zeek's default analyzer, IPTUNNEL, reads the version). Version 1 (PPTP): PPP, IPv4 or IPv6 only.
   */
  private gre(d: Uint8Array, off: number, end: number, lengthEnd: number, fragment: boolean): void {
    const len = end - off;
    if (len < 4) return this.fail('truncated GRE header');
    const flags = u16(d, off);
    const type = u16(d, off + 2);
    const version = flags & 0x0007;
    const header = greHeaderLength(flags);
    let link = GRE_RAW;
    let erspan = 0;
    if (version === 0) {
      if (type === 0x6558) {
        if (len <= header + 14) return this.fail('truncated GRE header');
        link = GRE_ETHERNET;
      } else if (type === 0x88be) {
        // ERSPAN type II has an 8-byte header and sets the sequence flag; type I has neither.
        if (len <= header + 14) return this.fail('truncated GRE header');
        link = GRE_ETHERNET;
        if (flags & 0x1000) erspan = 8;
      } else if (type === 0x22eb) {
        // ERSPAN type III: 12 bytes, and an 8-byte platform subheader when its last byte's O flag is set.
        if (len <= header + 14 + 12) return this.fail('truncated GRE header');
        link = GRE_ETHERNET;
        erspan = 12;
        if (d[off + header + 11] & 0x01) {
          if (len <= header + 12 + 8 + 14) return this.fail('truncated GRE header');
          erspan = 20;
        }
      } else if (isArubaType(type)) {
        if (len <= header) return this.fail('truncated GRE header');
        link = GRE_80211;
      }
    } else if (version === 1) {
      if (type !== 0x880b) return this.fail('enhanced GRE not carrying PPP');
    } else {
      return this.fail('unknown GRE version');
    }
    if (flags & 0x4000) return this.fail('GRE with routing');
    if (flags & 0x0078) return this.fail('GRE with unknown flags');
    const pptp = version === 1 ? 4 : 0;
    if (len < header + pptp + erspan + (link === GRE_ETHERNET ? 14 : 0)) return this.fail('truncated GRE header');
    const at = off + header + pptp + erspan;
    if (version === 1) {
      // PPTP: PPP's address and control, then its protocol; only IPv4 and IPv6 go on, as one whole packet.
      const protocol = u16(d, off + header + 2);
      if (protocol !== 0x0021 && protocol !== 0x0057) return;
      if (!innerIpFits(d, at, end, lengthEnd, protocol === 0x0021 ? 4 : 6, fragment)) {
        return this.fail('enhanced GRE payload is not one IP packet');
      }
    }
    if (!this.enterTunnel(OTHER_TUNNEL)) return;
    if (link === GRE_ETHERNET) this.ethernet(d, at, end);
    else if (link === GRE_80211) this.ieee80211(d, at, end);
    else this.ip(d, at, end);
  }

  /**
   * udp/UDP.cc hands the payload to the tunnel analyzer of the connection's responder port (here: the destination
   * port, else the source port, as a reply's), else to the first of AYIYA and Teredo whose detection accepts it,
   * on any port. `layer` is the UDP packet's layer.
   */
  private udpPayload(d: Uint8Array, layer: Layer, off: number, end: number, ipEnd: number): void {
    if (end - off < 8) return;
    const payload = off + 8;
    // Where the payload ends by the headers: the IP length (Zeek's PayloadLen), or for a first fragment, which Zeek
    // would have reassembled, the UDP length.
    const fragment = layer.fragment !== undefined;
    const lengthEnd = fragment ? off + u16(d, off + 4) : ipEnd;
    const port = isTunnelPort(layer.dstPort) ? layer.dstPort : isTunnelPort(layer.srcPort) ? layer.srcPort : 0;
    switch (port) {
      case VXLAN_PORT: return this.vxlan(d, payload, end);
      case GENEVE_PORT: return this.geneve(d, payload, end);
      case TEREDO_PORT: return this.teredo(d, payload, end, lengthEnd, fragment, false);
      case GTP_USER_PORT: case GTP_CONTROL_PORT: return this.gtp(d, payload, end, lengthEnd, fragment);
      case AYIYA_PORT: return this.ayiya(d, payload, end, false);
      case GRE_IN_UDP_PORT: return this.gre(d, payload, end, lengthEnd, fragment);
    }
    // Protocol detection, in the order the analyzers register for it (ayiya/ before teredo/ in packet-protocols).
    if (looksLikeAyiya(d, payload, end)) return this.ayiya(d, payload, end, true);
    if (looksLikeTeredo(d, payload, end)) this.teredo(d, payload, end, lengthEnd, fragment, true);
  }

  /** vxlan/VXLAN.cc: 8-byte header with the I flag, then Ethernet. */
  private vxlan(d: Uint8Array, off: number, end: number): void {
    if (end - off < 8) return this.fail('truncated VXLAN header');
    if ((d[off] & 0x08) === 0) return this.fail('VXLAN header without its I flag');
    if (this.enterTunnel(OTHER_TUNNEL)) this.ethernet(d, off + 8, end);
  }

  /** geneve/Geneve.cc: version 0, options, then by protocol type Ethernet (0x6558) or IP (geneve/main.zeek). */
  private geneve(d: Uint8Array, off: number, end: number): void {
    if (end - off < 8) return this.fail('truncated Geneve header');
    if (d[off] >> 6 !== 0) return this.fail('unknown Geneve version');
    const header = 8 + (d[off] & 0x3f) * 4;
    if (end - off < header) return this.fail('truncated Geneve options');
    const type = u16(d, off + 2);
    if (!this.enterTunnel(OTHER_TUNNEL)) return;
    if (type === 0x6558) this.ethernet(d, off + header, end);
    else this.ipByEtherType(d, off + header, end, type);
  }

  /** ayiya/AYIYA.cc: identity and signature lengths in the header; "forward" operations carry IPv4 or IPv6. */
  private ayiya(d: Uint8Array, off: number, end: number, detected: boolean): void {
    if (end - off < 8) return detected ? undefined : this.fail('truncated AYIYA header');
    const header = 8 + (1 << (d[off] >> 4)) + (d[off + 1] >> 4) * 4;
    if (end - off < header) return detected ? undefined : this.fail('truncated AYIYA header');
    if ((d[off + 2] & 0x0f) !== 1) return; // not "forward": no packet inside
    const next = d[off + 3];
    if (end - off === header) return;
    if (next !== IP_IN_IP && next !== IPV6_IN_IP) return; // ayiya/main.zeek dispatches 4 and 41 only
    if (this.enterTunnel(OTHER_TUNNEL)) this.ip(d, off + header, end);
  }

  /**
   * teredo/Teredo.cc: optional authentication, then optional origin indication, then IPv6 whose length fills the UDP
   * payload exactly (a bubble, IPv6 with no next header and no payload, may be followed by more). Packets found by
   * detection that fail are simply not Teredo; on the Teredo port they are a problem.
   */
  private teredo(d: Uint8Array, off: number, end: number, lengthEnd: number, fragment: boolean, detected: boolean): void {
    let origin = false;
    let authentication = false;
    for (;;) {
      if (end - off < 2) return detected ? undefined : this.fail('truncated Teredo header');
      const tag = u16(d, off);
      if (tag === 0 && !origin) {
        if (end - off < 8) return detected ? undefined : this.fail('truncated Teredo origin indication');
        origin = true;
        off += 8;
      } else if (tag === 1 && !origin && !authentication) {
        if (end - off < 4) return detected ? undefined : this.fail('truncated Teredo authentication');
        const length = 4 + d[off + 2] + d[off + 3] + 8 + 1;
        if (end - off < length) return detected ? undefined : this.fail('truncated Teredo authentication');
        authentication = true;
        off += length;
      } else if (tag >> 12 === 6) {
        break;
      } else {
        return detected ? undefined : this.fail('Teredo payload is not IPv6');
      }
    }
    if (end - off < 40) return detected ? undefined : this.fail('truncated IPv6 in Teredo');
    const total = 40 + u16(d, off + 4);
    const available = lengthEnd - off;
    const bubble = d[off + 6] === NO_NEXT_HEADER && total === 40;
    if (total > available && !fragment) return detected ? undefined : this.fail('truncated IPv6 in Teredo');
    if (total < available && !bubble) return detected ? undefined : this.fail('Teredo payload longer than its IPv6 packet');
    if (this.enterTunnel(OTHER_TUNNEL)) this.ip(d, off, end);
  }

  /**
   * gtpv1/gtpv1-protocol.pac and gtpv1-analyzer.pac: version 1, protocol type GTP, a G-PDU (message 255) carrying
   * one whole IPv4 or IPv6 packet after the optional sequence/N-PDU/next-type fields and extension headers. Signalling
   * messages carry no packet. Zeek never decodes GTP inside GTP.
   */
  private gtp(d: Uint8Array, off: number, end: number, lengthEnd: number, fragment: boolean): void {
    if (this.lastTunnel === GTP_TUNNEL) return this.fail('GTP inside GTP');
    if (end - off < 8) return this.fail('truncated GTP header');
    const flags = d[off];
    if (flags >> 5 !== 1) return this.fail('unknown GTP version');
    if ((flags & 0x10) === 0 || d[off + 1] !== 255) return; // GTP' or signalling
    let at = off + 8;
    if (flags & 0x07) {
      if (end - at < 4) return this.fail('truncated GTP header');
      at += 4;
      if (flags & 0x04) {
        // Extension headers, each 4 * its first byte long, its last byte the next one's type, until type 0.
        for (;;) {
          if (end - at < 1) return this.fail('truncated GTP extension header');
          const length = d[at] * 4;
          if (length === 0 || end - at < length) return this.fail('truncated GTP extension header');
          at += length;
          if (d[at - 1] === 0) break;
        }
      }
    }
    if (end - at < 20) return this.fail('truncated GTP payload');
    const version = d[at] >> 4;
    if (version !== 4 && version !== 6) return this.fail('GTP payload is not IP');
    if (!innerIpFits(d, at, end, lengthEnd, version, fragment)) return this.fail('GTP payload is not one IP packet');
    if (this.enterTunnel(GTP_TUNNEL)) this.ip(d, at, end);
  }
}

const shared = new PacketDecoder();

/** decode() of one decoder this module keeps (for callers that decode one packet at a time). */
export function decodePacket(data: Uint8Array, linkType: LinkType, decoded: DecodedPacket, start = 0, end = data.length): DecodedPacket {
  return shared.decode(data, linkType, decoded, start, end);
}
