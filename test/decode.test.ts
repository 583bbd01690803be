import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderAddress } from '../ts/pcap/address';
import { readCapture } from '../ts/pcap/capture-reader';
import { decodePacket } from '../ts/pcap/decode';
import { DecodedPacket, LINKTYPE } from '../ts/pcap/types';
import { corpusPath, tsvRecords } from './helpers/corpus';
import { readManifest } from './helpers/captures';

// ---- Building packets ----

type Part = Uint8Array | number[];

function cat(...parts: Part[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const be16 = (n: number) => [(n >> 8) & 255, n & 255];
const be32 = (n: number) => [(n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
const le16 = (n: number) => [n & 255, (n >> 8) & 255];
const zeros = (n: number) => new Array<number>(n).fill(0);

function v4(text: string): number[] {
  return text.split('.').map(Number);
}

function v6(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map(g => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...zeros(8 - h.length - t.length), ...t];
  return all.flatMap(be16);
}

/** The Internet checksum of the parts, as stored (0 is sent as 0xffff by UDP; that is left to the caller). */
function checksum(...parts: Part[]): number {
  const bytes = cat(...parts);
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/** A transport header and payload; checksumAt is where a pseudo-header checksum goes (-1: none). */
interface Transport {
  proto: number;
  bytes: Uint8Array;
  checksumAt: number;
}

function tcp(sport: number, dport: number, payload: Part = []): Transport {
  return { proto: 6, checksumAt: 16, bytes: cat(be16(sport), be16(dport), be32(1), be32(0), [0x50, 0x02], be16(65535), [0, 0, 0, 0], payload) };
}

function udp(sport: number, dport: number, payload: Part = []): Transport {
  return { proto: 17, checksumAt: 6, bytes: cat(be16(sport), be16(dport), be16(8 + payload.length), [0, 0], payload) };
}

function icmp(type: number, code: number, rest: Part = [0, 1, 0, 1]): Transport {
  const bytes = cat([type, code, 0, 0], rest);
  bytes.set(be16(checksum(bytes)), 2);
  return { proto: 1, checksumAt: -1, bytes };
}

function icmp6(type: number, code: number, rest: Part = [0, 0, 0, 0]): Transport {
  return { proto: 58, checksumAt: 2, bytes: cat([type, code, 0, 0], rest) };
}

/** Anything else carried by IP: an inner IP packet, GRE, ESP, SCTP, ... */
function carrying(proto: number, bytes: Part): Transport {
  return { proto, checksumAt: -1, bytes: cat(bytes) };
}

function withChecksum(t: Transport, pseudo: Part): Uint8Array {
  const bytes = cat(t.bytes);
  if (t.checksumAt >= 0) {
    let sum = checksum(pseudo, bytes);
    if (sum === 0 && t.proto === 17) sum = 0xffff;
    bytes.set(be16(sum), t.checksumAt);
  }
  return bytes;
}

function transport4(src: string, dst: string, t: Transport): Uint8Array {
  return withChecksum(t, [...v4(src), ...v4(dst), 0, t.proto, ...be16(t.bytes.length)]);
}

interface Ipv4Options {
  id?: number;
  /** Flag bits as in the header: 0x4000 DF, 0x2000 MF. */
  flags?: number;
  offset?: number;
  totalLength?: number;
  /** The payload is already final (fragments): no checksum is filled in. */
  raw?: boolean;
}

function ipv4(src: string, dst: string, t: Transport, o: Ipv4Options = {}): Uint8Array {
  const payload = o.raw ? t.bytes : transport4(src, dst, t);
  const total = o.totalLength ?? 20 + payload.length;
  const header = cat([0x45, 0], be16(total), be16(o.id ?? 1), be16((o.flags ?? 0) | ((o.offset ?? 0) / 8)), [64, t.proto, 0, 0], v4(src), v4(dst));
  header.set(be16(checksum(header)), 10);
  return cat(header, payload);
}

/** An IPv6 extension header: its type, and its bytes given the next header's type. */
interface Extension {
  type: number;
  bytes(next: number): number[];
}

const hopByHop: Extension = { type: 0, bytes: next => [next, 0, 1, 4, 0, 0, 0, 0] };

function routing0(addresses: string[], segmentsLeft: number): Extension {
  return { type: 43, bytes: next => [next, 2 * addresses.length, 0, segmentsLeft, 0, 0, 0, 0, ...addresses.flatMap(v6)] };
}

function fragment6(id: number, offset: number, more: boolean): Extension {
  return { type: 44, bytes: next => [next, 0, ...be16(offset | (more ? 1 : 0)), ...be32(id)] };
}

/** Destination options with a Mobile IPv6 home address option (type 201) after a 4-byte PadN. */
function homeAddress(address: string): Extension {
  return { type: 60, bytes: next => [next, 2, 1, 2, 0, 0, 201, 16, ...v6(address)] };
}

const authentication: Extension = { type: 51, bytes: next => [next, 4, 0, 0, ...be32(0x100), ...be32(1), ...zeros(12)] };

interface Ipv6Options {
  extensions?: Extension[];
  payloadLength?: number;
  /** The address the transport checksum covers, when a routing header names a final destination. */
  finalDestination?: string;
  raw?: boolean;
}

function ipv6(src: string, dst: string, t: Transport, o: Ipv6Options = {}): Uint8Array {
  const extensions = o.extensions ?? [];
  const final = o.finalDestination ?? dst;
  const payload = o.raw ? t.bytes : withChecksum(t, [...v6(src), ...v6(final), ...be32(t.bytes.length), 0, 0, 0, t.proto]);
  const chain = extensions.flatMap((e, i) => e.bytes(i + 1 < extensions.length ? extensions[i + 1].type : t.proto));
  const first = extensions.length ? extensions[0].type : t.proto;
  const length = o.payloadLength ?? chain.length + payload.length;
  return cat([0x60, 0, 0, 0], be16(length), [first, 64], v6(src), v6(dst), chain, payload);
}

const MAC_A = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];

function ether(type: number, ...payload: Part[]): Uint8Array {
  return cat(MAC_A, MAC_B, be16(type), ...payload);
}

const dot1q = (vid: number, type: number) => [...be16(vid), ...be16(type)];
const mplsLabel = (label: number, bottom: boolean) => [...be16(label >> 4), ((label & 15) << 4) | (bottom ? 1 : 0), 64];
const snap = (type: number) => [0xaa, 0xaa, 0x03, 0, 0, 0, ...be16(type)];

function pppoe(protocol: number, payload: Part): Uint8Array {
  return cat([0x11, 0x00], be16(0x0001), be16(payload.length + 2), be16(protocol), payload);
}

const vntagHeader = (type: number) => [0x80, 0x01, 0x00, 0x02, ...be16(type)];

function sll(type: number, payload: Part): Uint8Array {
  return cat([0, 0, 0, 1, 0, 6], MAC_A, [0, 0], be16(type), payload);
}

function sll2(type: number, payload: Part): Uint8Array {
  return cat(be16(type), [0, 0], be32(2), [0, 1, 0, 6], MAC_A, [0, 0], payload);
}

/** NFLOG: family, version, resource id, a hardware-header TLV, a prefix TLV (padded), the packet TLV. */
function nflog(family: number, payload: Part, bigEndian = false): Uint8Array {
  const tlv = (type: number, value: Part) => {
    const length = 4 + value.length;
    const head = bigEndian ? [...be16(length), ...be16(type)] : [...le16(length), ...le16(type)];
    return cat(head, value, zeros((4 - (length % 4)) % 4));
  };
  return cat([family, 0, 0, 0], tlv(1, [0x08, 0x00, 3, 0]), tlv(10, [0x68, 0x69, 0x21, 0]), tlv(9, payload));
}

const radiotapHeader = [0, 0, 8, 0, 0, 0, 0, 0];

/** An 802.11 data frame (QoS when asked; four addresses when to and from DS) with LLC/SNAP and a payload. */
function wlan(o: { qos?: boolean; fourAddresses?: boolean; protectedFrame?: boolean; amsdu?: boolean }, body: Part): Uint8Array {
  const control = o.qos ? 0x88 : 0x08;
  const flags = (o.fourAddresses ? 0x03 : 0x01) | (o.protectedFrame ? 0x40 : 0);
  return cat([control, flags, 0, 0], MAC_A, MAC_B, MAC_A, [0, 0], o.fourAddresses ? MAC_B : [], o.qos ? [o.amsdu ? 0x80 : 0, 0] : [], body);
}

const fddiHeader = [0x50, ...MAC_A, ...MAC_B];

function gre(o: { type: number; version?: number; key?: boolean; sequence?: number; ack?: boolean; routing?: boolean }, payload: Part): Uint8Array {
  const flags = (o.key ? 0x2000 : 0) | (o.sequence !== undefined ? 0x1000 : 0) | (o.ack ? 0x0080 : 0) | (o.routing ? 0x4000 : 0) | (o.version ?? 0);
  return cat(be16(flags), be16(o.type), o.key ? be32(0x1234) : [], o.sequence !== undefined ? be32(o.sequence) : [], o.ack ? be32(7) : [], payload);
}

const erspan2Header = [0x10, 0x01, 0x00, 0x64, 0, 0, 0, 0];
const erspan3Header = (platform: boolean) => [0x20, 0x01, 0x00, 0x64, ...be32(0x12345678), 0, 0, 0, platform ? 1 : 0];

const vxlanHeader = (vni: number) => [0x08, 0, 0, 0, ...be32(vni << 8)];

function geneve(type: number, optionWords: number, payload: Part): Uint8Array {
  return cat([optionWords & 0x3f, 0], be16(type), be32(77 << 8), zeros(optionWords * 4), payload);
}

/** Teredo's origin indication: the client's port and IPv4 address, both inverted. */
const teredoOrigin = (port: number, address: string) => [0, 0, ...be16(port ^ 0xffff), ...v4(address).map(b => b ^ 0xff)];
const teredoAuth = (id: number[], value: number[]) => [0, 1, id.length, value.length, ...id, ...value, ...zeros(8), 0];

function gtp(payload: Part, o: { sequence?: boolean; extension?: boolean; message?: number } = {}): Uint8Array {
  const flags = 0x30 | (o.extension ? 0x04 : 0) | (o.sequence ? 0x02 : 0);
  const optional = o.extension || o.sequence ? [0, 1, 0, o.extension ? 0x85 : 0] : [];
  // A PDU session container: one 4-byte unit, next type 0.
  const extension = o.extension ? [1, 0x10, 0x05, 0] : [];
  const rest = cat(optional, extension, payload);
  return cat([flags, o.message ?? 255], be16(rest.length), be32(0xabcdef), rest);
}

/** AYIYA: 16-byte identity, 20-byte signature, "forward" with the given next header. */
function ayiya(next: number, payload: Part): Uint8Array {
  return cat([0x41, 0x52, 0x11, next], be32(1257655293), zeros(16), zeros(20), payload);
}

// ---- Describing what the decoder found ----

const PROTO_NAMES: Record<number, string> = {
  1: 'icmp', 2: 'igmp', 4: 'ipip', 6: 'tcp', 17: 'udp', 41: 'ipv6', 47: 'gre', 50: 'esp', 58: 'icmp6', 59: 'none',
  60: 'dstopts', 132: 'sctp', 135: 'mobility',
};

/** One line per layer: protocol, source and port > destination and port, @IP offset/transport offset, fragment. */
function show(p: DecodedPacket): string[] {
  const lines: string[] = [];
  for (let i = 0; i < p.count; i++) {
    const l = p.layers[i];
    let line = `${PROTO_NAMES[l.proto] ?? l.proto} ${renderAddress(l.src)} ${l.srcPort} > ${renderAddress(l.dst)} ${l.dstPort} @${l.ipOffset}/${l.transportOffset}`;
    assert.equal(l.src.length, l.ipVersion === 4 ? 4 : 16);
    if (l.fragment) line += ` frag ${l.fragment.id}:${l.fragment.offset}${l.fragment.more ? '+' : ''}`;
    if (!l.hasTransport) line += ' later';
    lines.push(line);
  }
  return lines;
}

export interface Case {
  name: string;
  linkType: number;
  packet: Uint8Array;
  layers: string[];
  problem?: string;
}

const A = '10.0.0.1';
const B = '10.0.0.2';
const OUTER_A = '192.0.2.1';
const OUTER_B = '192.0.2.2';
const A6 = '2001:db8::1';
const B6 = '2001:db8::2';
const TEREDO_CLIENT = '2001:0:4136:e378:8000:63bf:3fff:fdd2';
const TEREDO_PEER = '2001:db8:1::9';

const tcp4 = () => ipv4(A, B, tcp(1234, 80));
const udp4 = () => ipv4(A, B, udp(1234, 53, [1, 2, 3, 4]));
const ping4 = () => ipv4(A, B, icmp(8, 0));
const tcp6 = () => ipv6(A6, B6, tcp(1234, 80));
const ping6 = () => ipv6(A6, B6, icmp6(128, 0));
const TCP4 = 'tcp 10.0.0.1 1234 > 10.0.0.2 80';
const UDP4 = 'udp 10.0.0.1 1234 > 10.0.0.2 53';
const PING4 = 'icmp 10.0.0.1 8 > 10.0.0.2 0';
const TCP6 = 'tcp 2001:db8::1 1234 > 2001:db8::2 80';
const PING6 = 'icmp6 2001:db8::1 128 > 2001:db8::2 0';

/** A UDP datagram of `length` bytes in two IPv4 fragments, split after `first` payload bytes (a multiple of 8). */
function fragments4(first: number, length: number): [Uint8Array, Uint8Array] {
  const whole = transport4(A, B, udp(5000, 53, zeros(length - 8)));
  return [
    ipv4(A, B, carrying(17, whole.subarray(0, first)), { id: 777, flags: 0x2000, raw: true }),
    ipv4(A, B, carrying(17, whole.subarray(first)), { id: 777, offset: first, raw: true }),
  ];
}

function fragments6(first: number, length: number): [Uint8Array, Uint8Array] {
  const whole = withChecksum(udp(5000, 53, zeros(length - 8)), [...v6(A6), ...v6(B6), ...be32(length), 0, 0, 0, 17]);
  return [
    ipv6(A6, B6, carrying(17, whole.subarray(0, first)), { extensions: [fragment6(0x10203, 0, true)], raw: true }),
    ipv6(A6, B6, carrying(17, whole.subarray(first)), { extensions: [fragment6(0x10203, first, false)], raw: true }),
  ];
}

const [frag4First, frag4Second] = fragments4(16, 40);
const [frag6First, frag6Second] = fragments6(16, 40);

function nested(depth: number): Uint8Array {
  let packet = tcp4();
  for (let i = 0; i < depth; i++) packet = ipv4(OUTER_A, OUTER_B, carrying(4, packet), { id: 100 + i });
  return packet;
}

const ETH = LINKTYPE.ETHERNET;

/**
 * Hand-built packets, one or more per encapsulation, with the layers the decoder must find. Run through Zeek 8.0.10
 * (a capture per case), they gave conn.log records of exactly these flows, but where a name says otherwise and for
 * the layers Zeek keeps no conn of (IP in IP and GRE carriers, ESP and mobility over IPv6, no next header, lone fragments).
 */
export const CASES: Case[] = [
  // Ethernet and what it carries.
  { name: 'Ethernet IPv4 TCP', linkType: ETH, packet: ether(0x0800, tcp4()), layers: [`${TCP4} @14/34`] },
  { name: 'Ethernet IPv4 UDP', linkType: ETH, packet: ether(0x0800, udp4()), layers: [`${UDP4} @14/34`] },
  { name: 'Ethernet IPv4 ICMP echo: type and code as ports', linkType: ETH, packet: ether(0x0800, ping4()), layers: [`${PING4} @14/34`] },
  { name: 'Ethernet IPv4 ICMP unreachable', linkType: ETH, packet: ether(0x0800, ipv4(A, B, icmp(3, 3, zeros(32)))), layers: ['icmp 10.0.0.1 3 > 10.0.0.2 3 @14/34'] },
  { name: 'Ethernet IPv6 TCP', linkType: ETH, packet: ether(0x86dd, tcp6()), layers: [`${TCP6} @14/54`] },
  { name: 'Ethernet IPv6 ICMPv6 neighbour solicitation', linkType: ETH, packet: ether(0x86dd, ipv6(A6, 'ff02::1:ff00:2', icmp6(135, 0, zeros(20)))), layers: ['icmp6 2001:db8::1 135 > ff02::1:ff00:2 0 @14/54'] },
  { name: 'Ethernet IPv4 SCTP: no ports, as Zeek (unknown_transport)', linkType: ETH, packet: ether(0x0800, ipv4(A, B, carrying(132, [0x0b, 0x59, 0x0b, 0x59, ...zeros(12)]))), layers: ['sctp 10.0.0.1 0 > 10.0.0.2 0 @14/34'] },
  { name: 'Ethernet ARP: not IP', linkType: ETH, packet: ether(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...v4(A), ...zeros(6), ...v4(B)]), layers: [] },
  { name: 'Ethernet LLDP: not IP', linkType: ETH, packet: ether(0x88cc, zeros(30)), layers: [] },
  { name: '802.1Q', linkType: ETH, packet: ether(0x8100, dot1q(10, 0x0800), tcp4()), layers: [`${TCP4} @18/38`] },
  { name: 'QinQ 0x88a8', linkType: ETH, packet: ether(0x88a8, dot1q(100, 0x8100), dot1q(10, 0x86dd), tcp6()), layers: [`${TCP6} @22/62`] },
  { name: 'QinQ 0x9100', linkType: ETH, packet: ether(0x9100, dot1q(100, 0x8100), dot1q(10, 0x0800), tcp4()), layers: [`${TCP4} @22/42`] },
  { name: '22 802.1Q tags: the most Zeek decodes (PacketAnalyzer::max_depth 25)', linkType: ETH, packet: ether(0x8100, ...Array.from({ length: 21 }, () => dot1q(10, 0x8100)), dot1q(10, 0x0800), tcp4()), layers: [`${TCP4} @102/122`] },
  {
    name: '300 802.1Q tags: refused, not a stack overflow (Zeek: max_packet_analyzer_depth_exceeded)', linkType: ETH,
    packet: ether(0x8100, ...Array.from({ length: 299 }, () => dot1q(10, 0x8100)), dot1q(10, 0x0800), tcp4()), layers: [], problem: 'more than 256 nested link-layer headers',
  },
  {
    name: '4,000 802.1Q tags in VNTags in turn: refused, not a stack overflow', linkType: ETH,
    packet: ether(0x8926, ...Array.from({ length: 4000 }, () => [...vntagHeader(0x8100), ...dot1q(10, 0x8926)]), vntagHeader(0x8100), dot1q(10, 0x0800), tcp4()), layers: [], problem: 'more than 256 nested link-layer headers',
  },
  { name: '802.1Q then 0x88a8: not in Zeek\'s VLAN table', linkType: ETH, packet: ether(0x8100, dot1q(100, 0x88a8), dot1q(10, 0x0800), tcp4()), layers: [] },
  { name: 'MPLS label stack, IPv6 by its version', linkType: ETH, packet: ether(0x8847, mplsLabel(100, false), mplsLabel(200, true), tcp6()), layers: [`${TCP6} @22/62`] },
  { name: 'MPLS in 802.1Q', linkType: ETH, packet: ether(0x8100, dot1q(5, 0x8847), mplsLabel(16, true), tcp4()), layers: [`${TCP4} @22/42`] },
  { name: 'PPPoE session IPv4', linkType: ETH, packet: ether(0x8864, pppoe(0x0021, tcp4())), layers: [`${TCP4} @22/42`] },
  { name: 'PPPoE session IPv6', linkType: ETH, packet: ether(0x8864, pppoe(0x0057, ping6())), layers: [`${PING6} @22/62`] },
  { name: 'PPPoE session LCP: not IP', linkType: ETH, packet: ether(0x8864, pppoe(0xc021, [1, 1, 0, 4])), layers: [] },
  { name: 'PPPoE in QinQ', linkType: ETH, packet: ether(0x88a8, dot1q(100, 0x8100), dot1q(10, 0x8864), pppoe(0x0021, udp4())), layers: [`${UDP4} @30/50`] },
  { name: 'VNTag then 802.1Q', linkType: ETH, packet: ether(0x8926, vntagHeader(0x8100), dot1q(1, 0x0800), tcp4()), layers: [`${TCP4} @24/44`] },
  { name: 'VNTag then IPv4: not in Zeek\'s VNTag table', linkType: ETH, packet: ether(0x8926, vntagHeader(0x0800), tcp4()), layers: [] },
  { name: '802.3 with LLC/SNAP IPv4', linkType: ETH, packet: ether(8 + 40, snap(0x0800), tcp4()), layers: [`${TCP4} @22/42`] },
  { name: '802.3 with STP: not IP', linkType: ETH, packet: ether(38, [0x42, 0x42, 0x03], zeros(35)), layers: [] },
  { name: '802.1ah PBB', linkType: ETH, packet: ether(0x88e7, [0, 0, 0, 1], ether(0x0800, tcp4())), layers: [`${TCP4} @32/52`] },
  { name: 'Cisco FabricPath', linkType: ETH, packet: cat(MAC_A, MAC_B, [0x89, 0x03, 0, 0], ether(0x0800, tcp4())), layers: [`${TCP4} @30/50`] },
  // Other link layers.
  { name: 'NULL, AF_INET little-endian', linkType: LINKTYPE.NULL, packet: cat([2, 0, 0, 0], tcp4()), layers: [`${TCP4} @4/24`] },
  { name: 'NULL, AF_INET6 30 (Darwin)', linkType: LINKTYPE.NULL, packet: cat([30, 0, 0, 0], tcp6()), layers: [`${TCP6} @4/44`] },
  { name: 'NULL, AF_INET big-endian, from a big-endian host (Zeek reads little-endian only)', linkType: LINKTYPE.NULL, packet: cat([0, 0, 0, 2], tcp4()), layers: [`${TCP4} @4/24`] },
  { name: 'NULL, another family: not IP', linkType: LINKTYPE.NULL, packet: cat([7, 0, 0, 0], tcp4()), layers: [] },
  { name: 'LOOP, AF_INET6 24 network order (Zeek has no LOOP analyzer)', linkType: LINKTYPE.LOOP, packet: cat([0, 0, 0, 24], tcp6()), layers: [`${TCP6} @4/44`] },
  { name: 'RAW 101 IPv4', linkType: LINKTYPE.RAW, packet: tcp4(), layers: [`${TCP4} @0/20`] },
  { name: 'RAW 101 IPv6', linkType: LINKTYPE.RAW, packet: tcp6(), layers: [`${TCP6} @0/40`] },
  { name: 'RAW as DLT 12', linkType: 12, packet: tcp4(), layers: [`${TCP4} @0/20`] },
  { name: 'RAW as DLT 14, OpenBSD\'s (libpcap on Linux refuses such a file)', linkType: 14, packet: tcp6(), layers: [`${TCP6} @0/40`] },
  { name: 'IPV4 228', linkType: LINKTYPE.IPV4, packet: udp4(), layers: [`${UDP4} @0/20`] },
  { name: 'IPV6 229', linkType: LINKTYPE.IPV6, packet: ping6(), layers: [`${PING6} @0/40`] },
  { name: 'Linux cooked', linkType: LINKTYPE.LINUX_SLL, packet: sll(0x0800, tcp4()), layers: [`${TCP4} @16/36`] },
  { name: 'Linux cooked v2', linkType: LINKTYPE.LINUX_SLL2, packet: sll2(0x86dd, tcp6()), layers: [`${TCP6} @20/60`] },
  { name: 'Linux cooked ARP: not IP', linkType: LINKTYPE.LINUX_SLL, packet: sll(0x0806, zeros(28)), layers: [] },
  { name: 'NFLOG, TLVs little-endian', linkType: 239, packet: nflog(2, tcp4()), layers: [`${TCP4} @24/44`] },
  { name: 'NFLOG, TLVs big-endian (Zeek: after libpcap swapped a big-endian file)', linkType: 239, packet: nflog(10, tcp6(), true), layers: [`${TCP6} @24/64`] },
  { name: 'NFLOG without a packet', linkType: 239, packet: cat([2, 0, 0, 0], [8, 0, 1, 0, 8, 0, 3, 0]), layers: [], problem: 'NFLOG record without a packet' },
  { name: 'radiotap 802.11 data', linkType: 127, packet: cat(radiotapHeader, wlan({}, cat(snap(0x0800), tcp4()))), layers: [`${TCP4} @40/60`] },
  { name: '802.11 QoS data, four addresses', linkType: 105, packet: wlan({ qos: true, fourAddresses: true }, cat(snap(0x86dd), tcp6())), layers: [`${TCP6} @40/80`] },
  { name: '802.11 QoS data, protected', linkType: 105, packet: wlan({ qos: true, protectedFrame: true }, cat(zeros(8), tcp4())), layers: [] },
  { name: '802.11 beacon: not data', linkType: 105, packet: cat([0x80, 0, 0, 0], MAC_A, MAC_B, MAC_B, [0, 0], zeros(40)), layers: [] },
  {
    name: '802.11 A-MSDU: a flow per subframe', linkType: 105,
    packet: wlan({ qos: true, amsdu: true }, cat(MAC_A, MAC_B, be16(48), snap(0x0800), tcp4(), MAC_A, MAC_B, be16(40), snap(0x0800), udp4())),
    layers: [`${TCP4} @48/68`, `${UDP4} @110/130`],
  },
  { name: 'FDDI with LLC/SNAP', linkType: 10, packet: cat(fddiHeader, snap(0x0800), tcp4()), layers: [`${TCP4} @21/41`] },
  { name: 'PPP with HDLC framing', linkType: 9, packet: cat([0xff, 0x03, 0x00, 0x21], tcp4()), layers: [`${TCP4} @4/24`] },
  { name: 'PPP serial', linkType: 50, packet: cat([0x0f, 0x00, 0x00, 0x57], tcp6()), layers: [`${TCP6} @4/44`] },
  { name: 'unknown link type (Zeek would try IP)', linkType: 147, packet: tcp4(), layers: [], problem: 'unknown link type 147' },
  // IP details.
  { name: 'IPv4 first fragment', linkType: ETH, packet: ether(0x0800, frag4First), layers: ['udp 10.0.0.1 5000 > 10.0.0.2 53 @14/34 frag 777:0+'] },
  { name: 'IPv4 later fragment', linkType: ETH, packet: ether(0x0800, frag4Second), layers: ['udp 10.0.0.1 0 > 10.0.0.2 0 @14/-1 frag 777:16 later'] },
  { name: 'IPv6 first fragment', linkType: ETH, packet: ether(0x86dd, frag6First), layers: ['udp 2001:db8::1 5000 > 2001:db8::2 53 @14/62 frag 66051:0+'] },
  { name: 'IPv6 later fragment', linkType: ETH, packet: ether(0x86dd, frag6Second), layers: ['udp 2001:db8::1 0 > 2001:db8::2 0 @14/-1 frag 66051:16 later'] },
  { name: 'IPv6 atomic fragment', linkType: ETH, packet: ether(0x86dd, ipv6(A6, B6, tcp(1234, 80), { extensions: [fragment6(9, 0, false)] })), layers: [`${TCP6} @14/62 frag 9:0`] },
  {
    name: 'IPv6 hop-by-hop and routing type 0: the final destination', linkType: ETH,
    packet: ether(0x86dd, ipv6(A6, B6, udp(53, 53, [1, 2, 3]), { extensions: [hopByHop, routing0(['2001:db8:9::1', '2001:db8:9::2'], 2)], finalDestination: '2001:db8:9::2' })),
    layers: ['udp 2001:db8::1 53 > 2001:db8:9::2 53 @14/102'],
  },
  {
    name: 'IPv6 routing type 0 with no segments left: the header destination', linkType: ETH,
    packet: ether(0x86dd, ipv6(A6, B6, udp(53, 53, [1, 2, 3]), { extensions: [routing0(['2001:db8:9::1'], 0)] })),
    layers: ['udp 2001:db8::1 53 > 2001:db8::2 53 @14/78'],
  },
  {
    name: 'IPv6 home address option: the home address', linkType: ETH,
    packet: ether(0x86dd, ipv6(A6, B6, tcp(1234, 80), { extensions: [homeAddress('2001:db8:aa::7')] })),
    layers: ['tcp 2001:db8:aa::7 1234 > 2001:db8::2 80 @14/78'],
  },
  { name: 'IPv6 AH then TCP', linkType: ETH, packet: ether(0x86dd, ipv6(A6, B6, tcp(1234, 80), { extensions: [authentication] })), layers: [`${TCP6} @14/78`] },
  { name: 'IPv6 ESP', linkType: ETH, packet: ether(0x86dd, ipv6(A6, B6, carrying(50, [...be32(0x100), ...be32(1), ...zeros(24)]), { extensions: [hopByHop] })), layers: ['esp 2001:db8::1 0 > 2001:db8::2 0 @14/62'] },
  { name: 'IPv6 no next header', linkType: ETH, packet: ether(0x86dd, ipv6(A6, B6, carrying(59, []))), layers: ['none 2001:db8::1 0 > 2001:db8::2 0 @14/-1'] },
  { name: 'IPv6 mobility header', linkType: ETH, packet: ether(0x86dd, ipv6(A6, B6, carrying(135, [59, 1, 5, 0, 0, 0, 0, 0, ...zeros(8)]))), layers: ['mobility 2001:db8::1 0 > 2001:db8::2 0 @14/54'] },
  {
    name: 'IPv6 truncated extension header: its type stands as the protocol, as in Zeek', linkType: ETH,
    packet: ether(0x86dd, ipv6(A6, B6, tcp(1234, 80), { extensions: [homeAddress('2001:db8:aa::7')] }).subarray(0, 60)),
    layers: ['dstopts 2001:db8::1 0 > 2001:db8::2 0 @14/54'], problem: 'truncated IPv6 extension header',
  },
  { name: 'IPv4 IGMP: no ports', linkType: ETH, packet: ether(0x0800, ipv4(A, '224.0.0.22', carrying(2, [0x22, 0, 0xf9, 0x02, 0, 0, 0, 0]))), layers: ['igmp 10.0.0.1 0 > 224.0.0.22 0 @14/34'] },
  { name: 'IPv4 total length 0 (segmentation offload): the capture\'s length (Zeek: only with ignore_checksums)', linkType: ETH, packet: ether(0x0800, ipv4(A, B, tcp(1234, 80), { totalLength: 0 })), layers: [`${TCP4} @14/34`] },
  { name: 'TCP header cut to 2 bytes', linkType: ETH, packet: ether(0x0800, tcp4().subarray(0, 22)), layers: [], problem: 'truncated TCP header' },
  { name: 'TCP header cut to 4 bytes: the ports are there (Zeek wants 20 bytes)', linkType: ETH, packet: ether(0x0800, tcp4().subarray(0, 24)), layers: [`${TCP4} @14/34`] },
  { name: 'IPv4 header cut short', linkType: ETH, packet: ether(0x0800, tcp4().subarray(0, 12)), layers: [], problem: 'truncated IP header' },
  { name: 'IPv4 header length above the total length', linkType: ETH, packet: ether(0x0800, ipv4(A, B, tcp(1, 2), { totalLength: 16 })), layers: [], problem: 'IPv4 header longer than its packet' },
  { name: 'Ethernet frame of 16 bytes', linkType: ETH, packet: ether(0x0800, [0x45, 0]), layers: [], problem: 'truncated Ethernet header' },
  { name: 'raw IP of version 5', linkType: LINKTYPE.RAW, packet: cat([0x55], zeros(39)), layers: [], problem: 'unknown IP version 5' },
  // IP in IP.
  { name: 'IPv4 in IPv4', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(4, tcp4()))), layers: ['ipip 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP4} @34/54`] },
  { name: 'IPv6 in IPv4', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(41, tcp6()))), layers: ['ipv6 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP6} @34/74`] },
  { name: 'IPv4 in IPv6', linkType: ETH, packet: ether(0x86dd, ipv6('2001:db8:ff::1', '2001:db8:ff::2', carrying(4, tcp4()))), layers: ['ipip 2001:db8:ff::1 0 > 2001:db8:ff::2 0 @14/54', `${TCP4} @54/74`] },
  { name: 'IPv6 in IPv6', linkType: ETH, packet: ether(0x86dd, ipv6('2001:db8:ff::1', '2001:db8:ff::2', carrying(41, ping6()))), layers: ['ipv6 2001:db8:ff::1 0 > 2001:db8:ff::2 0 @14/54', `${PING6} @54/94`] },
  {
    name: 'IPv6 in IPv4 carrying IPv4: refused, as Zeek', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(41, tcp4()))),
    layers: ['ipv6 192.0.2.1 0 > 192.0.2.2 0 @14/34'], problem: 'IPv6 in IP payload is not one IPv6 packet',
  },
  {
    name: 'IPv4 in IPv4 with trailing bytes: refused, as Zeek', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(4, cat(tcp4(), [0, 0, 0, 0])))),
    layers: ['ipip 192.0.2.1 0 > 192.0.2.2 0 @14/34'], problem: 'IP in IP payload is not one IPv4 packet',
  },
  {
    name: 'IP in IP nested five deep: Tunnel::max_depth is 4', linkType: ETH, packet: ether(0x0800, nested(5)),
    layers: [0, 1, 2, 3, 4].map(i => `ipip 192.0.2.1 0 > 192.0.2.2 0 @${14 + 20 * i}/${34 + 20 * i}`), problem: 'tunnels nested deeper than Tunnel::max_depth (4)',
  },
  // GRE.
  { name: 'GRE IPv4', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x0800 }, tcp4())))), layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP4} @38/58`] },
  { name: 'GRE IPv6 with key and sequence', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x86dd, key: true, sequence: 5 }, tcp6())))), layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP6} @46/86`] },
  { name: 'GRE transparent Ethernet bridging', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x6558 }, ether(0x0800, tcp4()))))), layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP4} @52/72`] },
  { name: 'GRE ERSPAN type I', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x88be }, ether(0x0800, tcp4()))))), layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP4} @52/72`] },
  { name: 'GRE ERSPAN type II', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x88be, sequence: 1 }, cat(erspan2Header, ether(0x0800, tcp4())))))), layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP4} @64/84`] },
  { name: 'GRE ERSPAN type III', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x22eb, sequence: 1 }, cat(erspan3Header(false), ether(0x0800, tcp4())))))), layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP4} @68/88`] },
  { name: 'GRE ERSPAN type III with platform subheader', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x22eb, sequence: 1 }, cat(erspan3Header(true), zeros(8), ether(0x0800, tcp4())))))), layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP4} @76/96`] },
  {
    name: 'enhanced GRE (PPTP) with PPP IPv4', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x880b, version: 1, key: true, sequence: 3, ack: true }, cat([0xff, 0x03, 0x00, 0x21], tcp4()))))),
    layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34', `${TCP4} @54/74`],
  },
  {
    name: 'enhanced GRE (PPTP) with PPP LCP: not IP', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x880b, version: 1, key: true }, [0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4])))),
    layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34'],
  },
  {
    name: 'GRE with routing: refused, as Zeek', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(47, gre({ type: 0x0800, routing: true }, tcp4())))),
    layers: ['gre 192.0.2.1 0 > 192.0.2.2 0 @14/34'], problem: 'GRE with routing',
  },
  // Tunnels in UDP.
  {
    name: 'VXLAN: the outer UDP flow and the inner ICMP flow', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 4789, cat(vxlanHeader(42), ether(0x0800, ping4()))))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 4789 @14/34', `${PING4} @64/84`],
  },
  {
    name: 'VXLAN reply: by the source port', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_B, OUTER_A, udp(4789, 50000, cat(vxlanHeader(42), ether(0x0800, ipv4(B, A, icmp(0, 0))))))),
    layers: ['udp 192.0.2.2 4789 > 192.0.2.1 50000 @14/34', 'icmp 10.0.0.2 0 > 10.0.0.1 0 @64/84'],
  },
  {
    name: 'UDP to 4789 that is not VXLAN', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 4789, zeros(40)))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 4789 @14/34'], problem: 'VXLAN header without its I flag',
  },
  {
    name: 'Geneve carrying Ethernet, with options', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 6081, geneve(0x6558, 2, ether(0x0800, tcp4()))))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 6081 @14/34', `${TCP4} @72/92`],
  },
  {
    name: 'Geneve carrying IPv6', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 6081, geneve(0x86dd, 0, tcp6())))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 6081 @14/34', `${TCP6} @50/90`],
  },
  {
    name: 'Teredo', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 3544, ipv6(TEREDO_CLIENT, TEREDO_PEER, tcp(1286, 80))))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 3544 @14/34', `tcp ${TEREDO_CLIENT} 1286 > ${TEREDO_PEER} 80 @42/82`],
  },
  {
    name: 'Teredo with origin indication', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_B, OUTER_A, udp(3544, 50000, cat(teredoOrigin(50000, OUTER_A), ipv6(TEREDO_PEER, TEREDO_CLIENT, icmp6(129, 0)))))),
    layers: ['udp 192.0.2.2 3544 > 192.0.2.1 50000 @14/34', `icmp6 ${TEREDO_PEER} 129 > ${TEREDO_CLIENT} 0 @50/90`],
  },
  {
    name: 'Teredo with authentication and origin indication', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_B, OUTER_A, udp(3544, 50000, cat(teredoAuth([1, 2], [3, 4, 5]), teredoOrigin(50000, OUTER_A), ipv6(TEREDO_PEER, TEREDO_CLIENT, icmp6(129, 0)))))),
    layers: ['udp 192.0.2.2 3544 > 192.0.2.1 50000 @14/34', `icmp6 ${TEREDO_PEER} 129 > ${TEREDO_CLIENT} 0 @68/108`],
  },
  {
    name: 'Teredo bubble', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 3544, ipv6(TEREDO_CLIENT, TEREDO_PEER, carrying(59, []))))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 3544 @14/34', `none ${TEREDO_CLIENT} 0 > ${TEREDO_PEER} 0 @42/-1`],
  },
  {
    name: 'Teredo found by detection on another port', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 32900, ipv6(TEREDO_CLIENT, TEREDO_PEER, tcp(1286, 80))))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 32900 @14/34', `tcp ${TEREDO_CLIENT} 1286 > ${TEREDO_PEER} 80 @42/82`],
  },
  {
    name: 'IPv6 in UDP on another port without a Teredo address: not Teredo', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 32900, tcp6()))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 32900 @14/34'],
  },
  {
    name: 'Teredo port, IPv6 shorter than the payload: refused, as Zeek', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 3544, cat(ipv6(TEREDO_CLIENT, TEREDO_PEER, tcp(1286, 80)), [0, 0])))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 3544 @14/34'], problem: 'Teredo payload longer than its IPv6 packet',
  },
  {
    name: 'GTP-U', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(2152, 2152, gtp(tcp4())))),
    layers: ['udp 192.0.2.1 2152 > 192.0.2.2 2152 @14/34', `${TCP4} @50/70`],
  },
  {
    name: 'GTP-U with sequence number', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(2152, 2152, gtp(tcp6(), { sequence: true })))),
    layers: ['udp 192.0.2.1 2152 > 192.0.2.2 2152 @14/34', `${TCP6} @54/94`],
  },
  {
    name: 'GTP-U with an extension header', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(2152, 2152, gtp(tcp4(), { extension: true })))),
    layers: ['udp 192.0.2.1 2152 > 192.0.2.2 2152 @14/34', `${TCP4} @58/78`],
  },
  {
    name: 'GTP-C create PDP context: no packet inside', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(2123, 2123, gtp([2, 0x21, 0x43], { message: 16 })))),
    layers: ['udp 192.0.2.1 2123 > 192.0.2.2 2123 @14/34'],
  },
  {
    name: 'GTP-U with IPv4 shorter than the payload: refused, as Zeek', linkType: ETH,
    packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(2152, 2152, gtp(cat(tcp4(), [0, 0, 0]))))),
    layers: ['udp 192.0.2.1 2152 > 192.0.2.2 2152 @14/34'], problem: 'GTP payload is not one IP packet',
  },
  {
    name: 'AYIYA', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(53796, 5072, ayiya(41, ping6())))),
    layers: ['udp 192.0.2.1 53796 > 192.0.2.2 5072 @14/34', `${PING6} @86/126`],
  },
  {
    name: 'AYIYA found by detection on another port', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(53796, 9999, ayiya(4, tcp4())))),
    layers: ['udp 192.0.2.1 53796 > 192.0.2.2 9999 @14/34', `${TCP4} @86/106`],
  },
  {
    name: 'GRE in UDP (4754)', linkType: ETH, packet: ether(0x0800, ipv4(OUTER_A, OUTER_B, udp(50000, 4754, gre({ type: 0x0800 }, tcp4())))),
    layers: ['udp 192.0.2.1 50000 > 192.0.2.2 4754 @14/34', `${TCP4} @46/66`],
  },
  {
    name: 'VXLAN in GRE in IPv6: three layers', linkType: ETH,
    packet: ether(0x86dd, ipv6('2001:db8:ff::1', '2001:db8:ff::2', carrying(47, gre({ type: 0x0800 }, ipv4(OUTER_A, OUTER_B, udp(50000, 4789, cat(vxlanHeader(1), ether(0x86dd, tcp6())))))))),
    layers: ['gre 2001:db8:ff::1 0 > 2001:db8:ff::2 0 @14/54', 'udp 192.0.2.1 50000 > 192.0.2.2 4789 @58/78', `${TCP6} @108/148`],
  },
];

describe('decodePacket: hand-built packets', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const decoded = decodePacket(c.packet, c.linkType, { layers: [], count: 0 });
      assert.deepEqual(show(decoded), c.layers);
      assert.equal(decoded.problem, c.problem);
    });
  }

  it('reuses the layer objects and address buffers, and clears what the last packet set', () => {
    const decoded: DecodedPacket = { layers: [], count: 0 };
    decodePacket(ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(4, tcp4()))), ETH, decoded);
    const [outer, inner] = decoded.layers;
    const innerSrc = inner.src;
    decodePacket(ether(0x0800, frag4First), ETH, decoded);
    assert.equal(decoded.count, 1);
    assert.equal(decoded.layers[0], outer);
    assert.deepEqual(show(decoded), ['udp 10.0.0.1 5000 > 10.0.0.2 53 @14/34 frag 777:0+']);
    const fragment = decoded.layers[0].fragment;
    decodePacket(ether(0x0800, ipv4(OUTER_A, OUTER_B, carrying(4, tcp4()))), ETH, decoded);
    assert.equal(decoded.layers[1], inner);
    assert.equal(decoded.layers[1].src, innerSrc);
    assert.equal(decoded.layers[0].fragment, undefined);
    decodePacket(ether(0x0800, frag4Second), ETH, decoded);
    assert.equal(decoded.layers[0].fragment, fragment, 'the fragment record is reused');
    decodePacket(cat([0x55], zeros(39)), LINKTYPE.RAW, decoded);
    assert.equal(decoded.count, 0);
    decodePacket(tcp4(), LINKTYPE.RAW, decoded);
    assert.equal(decoded.problem, undefined);
  });

  it('replaces layer objects it did not make', () => {
    const decoded: DecodedPacket = { layers: [{ ipVersion: 4, src: new Uint8Array(4), dst: new Uint8Array(4), proto: 0, srcPort: 0, dstPort: 0, hasTransport: false, ipOffset: 0, transportOffset: -1 }], count: 0 };
    decodePacket(ether(0x0800, tcp4()), ETH, decoded);
    assert.deepEqual(show(decoded), [`${TCP4} @14/34`]);
  });
});

// ---- The corpus, against what Zeek 8.0.10 logged ----

/** ICMP types Zeek pairs (ICMP.cc ICMP4_counterpart / ICMP6_counterpart): conn's resp_p is the counterpart type. */
const ICMP_COUNTERPART: Record<number, Record<number, number>> = {
  1: { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17 },
  58: { 128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144 },
};

/** conn.log rows that cannot match a decoded flow, by trace, with the reason. None so far. */
const UNMATCHABLE: Record<string, { rows: number; reason: string }> = {};

interface TraceResult {
  packets: number;
  /** Every flow as conn.log keys it, both ways round. */
  flows: Set<string>;
  /** Every flow once, in the orientation of its first packet, in order of appearance. */
  firstSeen: string[];
  problems: Map<string, number>;
}

async function decodeTrace(file: string): Promise<TraceResult> {
  const result: TraceResult = { packets: 0, flows: new Set(), firstSeen: [], problems: new Map() };
  const decoded: DecodedPacket = { layers: [], count: 0 };
  await readCapture(file, record => {
    result.packets++;
    decodePacket(record.data, record.linkType, decoded);
    if (decoded.problem) result.problems.set(decoded.problem, (result.problems.get(decoded.problem) ?? 0) + 1);
    for (let i = 0; i < decoded.count; i++) {
      const l = decoded.layers[i];
      if (!l.hasTransport) continue;
      // As Zeek keys a conn: ICMP's type, and the counterpart type (or the code) in the responder's place.
      const counterpart = ICMP_COUNTERPART[l.proto]?.[l.srcPort];
      const dstPort = counterpart ?? l.dstPort;
      const src = renderAddress(l.src);
      const dst = renderAddress(l.dst);
      const key = `${l.proto} ${src} ${l.srcPort} ${dst} ${dstPort}`;
      if (result.flows.has(key)) continue;
      result.firstSeen.push(key);
      result.flows.add(key);
      result.flows.add(`${l.proto} ${dst} ${dstPort} ${src} ${l.srcPort}`);
    }
  });
  return result;
}

/** conn.log's (ip_proto, orig_h, orig_p, resp_h, resp_p), as flow keys. */
function connKeys(file: string): string[] {
  return tsvRecords(file).map(r => [r.ip_proto, r['id.orig_h'], r['id.orig_p'], r['id.resp_h'], r['id.resp_p']].join(' '));
}

function traces(): string[] {
  return readdirSync(corpusPath('pcaps')).filter(name => name !== 'MANIFEST.tsv').sort();
}

describe('decodePacket: the corpus against Zeek\'s conn.log', () => {
  it('finds the flow of every conn record in every trace', async () => {
    const lines: string[] = [];
    let rows = 0;
    let matched = 0;
    let tracesWithConn = 0;
    const unmatched: string[] = [];
    for (const name of traces()) {
      const conn = join(corpusPath('zeek-logs', 'tsv'), name, 'conn.log');
      if (!existsSync(conn)) continue;
      tracesWithConn++;
      const { flows } = await decodeTrace(corpusPath('pcaps', name));
      const keys = connKeys(conn);
      const missing = keys.filter(k => !flows.has(k));
      const allowed = UNMATCHABLE[name]?.rows ?? 0;
      if (missing.length !== allowed) unmatched.push(`${name}: ${missing.length} of ${keys.length} rows unmatched, e.g. ${missing[0]}`);
      rows += keys.length;
      matched += keys.length - missing.length;
      lines.push(`${name}: ${keys.length - missing.length}/${keys.length}`);
    }
    console.log(`      conn rows matched per trace:\n        ${lines.join('\n        ')}\n      total ${matched}/${rows} in ${tracesWithConn} traces`);
    assert.deepEqual(unmatched, []);
    assert.equal(tracesWithConn, 55);
    assert.equal(rows, 1724);
    assert.equal(matched, rows);
  });
});

// ---- Damaged and unusual traces ----

describe('decodePacket: damaged and unusual traces', () => {
  const check = async (name: string, want: { packets: number; flows: string[]; problems: [string, number][] }) => {
    const got = await decodeTrace(corpusPath('pcaps', name));
    assert.equal(got.packets, want.packets);
    assert.deepEqual(got.firstSeen.slice(0, want.flows.length), want.flows);
    assert.deepEqual([...got.problems].sort(), want.problems.sort());
    return got.firstSeen;
  };

  it('tcp__truncated-header.pcap: a 68-byte snap length always keeps the ports, so no problem', async () => {
    await check('tcp__truncated-header.pcap', { packets: 24, flows: ['6 201.186.157.67 60827 128.3.26.249 25'], problems: [] });
  });

  it('trunc__mpls-6in6-broken.pcap.gz: fuzzed 6in6 behind MPLS; Zeek logs no conn, the outer IPv6 is all that is trusted', async () => {
    const flows = await check('trunc__mpls-6in6-broken.pcap.gz', {
      packets: 1811, flows: [],
      problems: [['IPv6 in IP payload is not one IPv6 packet', 1774], ['unknown IP version 0', 22], ['IPv4 header longer than its packet', 15]],
    });
    assert.equal(flows.length, 440);
    assert.ok(flows.every(f => f.startsWith('41 ')), 'only the outer IPv6 layers (next header 41)');
  });

  it('radiotap.pcap: 802.11 data frames with LLC/SNAP, the IP flows Zeek logs', async () => {
    await check('radiotap.pcap', {
      packets: 3, problems: [],
      flows: ['17 172.17.156.76 61738 208.67.220.220 53', '17 fe80::a667:6ff:fef7:ec54 5353 ff02::fb 5353'],
    });
  });

  it('llc.pcap: FDDI (link type 10), decoded by Zeek too: IPv4 behind LLC/SNAP', async () => {
    const flows = await check('llc.pcap', { packets: 1333, flows: ['6 128.3.140.132 2035 194.140.136.34 80'], problems: [] });
    assert.equal(flows.length, 1);
  });

  it('nflog-http.pcap: NFLOG TLVs up to the packet', async () => {
    const flows = await check('nflog-http.pcap', { packets: 13, flows: ['6 10.0.2.15 49762 93.184.216.34 80'], problems: [] });
    assert.equal(flows.length, 1);
  });
});

// ---- Decoding in place ----

/** Everything the decoder says about a packet, as text. */
function decodedText(d: DecodedPacket): string {
  const layers = d.layers.slice(0, d.count).map(l => [l.ipVersion, renderAddress(l.src), renderAddress(l.dst), l.proto, l.srcPort,
    l.dstPort, l.hasTransport, l.fragment ? `${l.fragment.id}/${l.fragment.offset}/${l.fragment.more}` : '-', l.ipOffset, l.transportOffset].join(' '));
  return `${layers.join(' | ')} ! ${d.problem ?? ''}`;
}

describe('decodePacket: a packet in place in the reader\'s buffer', () => {
  it('decodes as its own copy does, for every packet of every corpus trace, reading nothing outside it', async () => {
    const decoded: DecodedPacket = { layers: [], count: 0 };
    let packets = 0;
    let expected = 0;
    const differ: string[] = [];
    for (const row of readManifest(corpusPath('pcaps', 'MANIFEST.tsv'))) {
      if (row.packets) expected += Number(row.packets);
      await readCapture(corpusPath('pcaps', row.file), r => {
        packets++;
        const copy = Uint8Array.from(r.data);
        const own = decodedText(decodePacket(copy, r.linkType, decoded));
        const inPlace = decodedText(decodePacket(r.bytes, r.linkType, decoded, r.dataOffset, r.dataOffset + r.caplen));
        // The same bytes between 0xff and 0x00 fill: a read past either end would change what is decoded.
        const framed = new Uint8Array(copy.length + 128).fill(0xff);
        framed.fill(0, 64 + copy.length);
        framed.set(copy, 64);
        const inFrame = decodedText(decodePacket(framed, r.linkType, decoded, 64, 64 + copy.length));
        if ((inPlace !== own || inFrame !== own) && differ.length < 5) differ.push(`${row.file} @${r.offset}: ${own} / ${inPlace} / ${inFrame}`);
      }, { onProblem: () => undefined });
    }
    assert.deepEqual(differ, []);
    assert.equal(packets, expected, 'every packet the manifests count');
  });
});
