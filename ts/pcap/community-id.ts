// Community ID v1 (corelight/community-id-spec): a flow's name that Zeek, Suricata
// and others compute alike, so a packet can be matched to conn.log's community_id.
import * as crypto from 'node:crypto';

type Sha1 = ((data: Uint8Array, encoding: 'base64' | 'hex') => string) & ((data: Uint8Array, encoding: 'buffer') => Buffer);
/** One-shot hashing (Node >= 20.12) costs a third of a Hash object's for a flow's few bytes; a capture has many flows. */
const oneShot = (crypto as unknown as { hash?: (algorithm: string, data: Uint8Array, encoding: string) => string | Buffer }).hash;
const sha1 = (oneShot ? (data: Uint8Array, encoding: string) => oneShot('sha1', data, encoding)
  : (data: Uint8Array, encoding: string) => encoding === 'buffer' ? crypto.createHash('sha1').update(data).digest()
    : crypto.createHash('sha1').update(data).digest(encoding as 'base64' | 'hex')) as Sha1;

/** A lookup both ways from request/reply pairs of types. */
const bothWays = (pairs: [number, number][]): Readonly<Record<number, number>> =>
  Object.fromEntries(pairs.flatMap(([a, b]) => [[a, b], [b, a]]));

/**
 * ICMP types that come in request/reply pairs, each mapped to its counterpart (Zeek's ICMP4_counterpart):
 * echo, timestamp, information, router solicitation/advertisement, address mask. A type not listed is one-way.
 */
export const ICMP_COUNTERPARTS = bothWays([[8, 0], [13, 14], [15, 16], [10, 9], [17, 18]]);

/**
 * ICMPv6 types that come in pairs (Zeek's ICMP6_counterpart): echo, MLD query/report, router and neighbor
 * solicitation/advertisement, node information query/reply, home agent address discovery.
 */
export const ICMP6_COUNTERPARTS = bothWays([[128, 129], [130, 131], [133, 134], [135, 136], [139, 140], [144, 145]]);

const ICMP = 1;
const TCP = 6;
const UDP = 17;
const ICMP6 = 58;
const SCTP = 132;

/**
 * The Community ID v1 of a flow: "1:" and the base64 (or hex) SHA-1 of seed, ordered addresses, protocol and
 * ordered ports. src/dst are 4- or 16-byte addresses. For ICMP/ICMPv6 pass the type as srcPort and the code as
 * dstPort (the type's counterpart replaces the code for two-way types); protocols other than TCP, UDP, SCTP,
 * ICMP and ICMPv6 hash without ports.
 */
export function communityId(proto: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, seed = 0, base64 = true): string {
  return hashFlow(proto, src, dst, srcPort, dstPort, seed, base64, false);
}

/**
 * The Community ID as Zeek 8 writes it in conn.log, from a packet's flow. It differs from communityId() in two
 * cases. When both addresses are equal, Zeek orders the ports by their network-order bytes read as a
 * little-endian number (it compares the htons() values it hashes), so 55480 (d8 b8) sorts before 502 (01 f6);
 * Wireshark does the same, the spec's reference implementation and Suricata compare the port numbers
 * (corelight/community-id-spec issue #32). And Zeek 8 has no SCTP analyzer: its SCTP connections have ports
 * 0 and 0, and it hashes those.
 */
export function zeekCommunityId(proto: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, seed = 0, base64 = true): string {
  if (proto === SCTP) return hashFlow(proto, src, dst, 0, 0, seed, base64, true);
  return hashFlow(proto, src, dst, srcPort, dstPort, seed, base64, true);
}

/** Characters a Community ID takes: "1:" and the base64 of a SHA-1 (20 bytes: 27 characters and one "="). */
export const COMMUNITY_ID_LENGTH = 30;

const BASE64_DIGITS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map(c => c.charCodeAt(0));

/**
 * zeekCommunityId() as ASCII bytes into out[at, at + COMMUNITY_ID_LENGTH); returns its communityKey() (the hash's
 * first 4 bytes). No string: the packet index writes its column's bytes straight from these.
 */
export function zeekCommunityIdBytes(proto: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, out: Uint8Array, at: number): number {
  const sctp = proto === SCTP;
  const d = sha1(flowInput(proto, src, dst, sctp ? 0 : srcPort, sctp ? 0 : dstPort, 0, true), 'buffer');
  out[at] = 0x31; // "1"
  out[at + 1] = 0x3a; // ":"
  let o = at + 2;
  for (let i = 0; i < 18; i += 3) {
    const v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    out[o++] = BASE64_DIGITS[v >> 18];
    out[o++] = BASE64_DIGITS[(v >> 12) & 63];
    out[o++] = BASE64_DIGITS[(v >> 6) & 63];
    out[o++] = BASE64_DIGITS[v & 63];
  }
  const v = (d[18] << 16) | (d[19] << 8);
  out[o++] = BASE64_DIGITS[v >> 18];
  out[o++] = BASE64_DIGITS[(v >> 12) & 63];
  out[o++] = BASE64_DIGITS[(v >> 6) & 63];
  out[o] = 0x3d; // "="
  return ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
}

function compareBytes(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function swapBytes(port: number): number {
  return ((port & 0xff) << 8) | (port >> 8);
}

function hashFlow(proto: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, seed: number, base64: boolean, zeekPortOrder: boolean): string {
  return `1:${sha1(flowInput(proto, src, dst, srcPort, dstPort, seed, zeekPortOrder), base64 ? 'base64' : 'hex')}`;
}

/** What Community ID v1 hashes: seed, ordered addresses, protocol, a zero byte and the ordered ports (if it has them). */
function flowInput(proto: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, seed: number, zeekPortOrder: boolean): Buffer {
  let sport = srcPort;
  let dport = dstPort;
  let oneWay = false;
  if (proto === ICMP || proto === ICMP6) {
    const counterpart = (proto === ICMP ? ICMP_COUNTERPARTS : ICMP6_COUNTERPARTS)[sport];
    if (counterpart === undefined) oneWay = true;
    else dport = counterpart;
  }
  const hasPorts = proto === TCP || proto === UDP || proto === SCTP || proto === ICMP || proto === ICMP6;
  const order = compareBytes(src, dst);
  const portsInOrder = zeekPortOrder ? swapBytes(sport) < swapBytes(dport) : sport <= dport;
  // A one-way ICMP type keeps its direction: type and code are not a pair of ports to swap.
  const srcFirst = oneWay || order < 0 || (order === 0 && (!hasPorts || portsInOrder));
  const a = srcFirst ? src : dst;
  const b = srcFirst ? dst : src;
  const input = Buffer.allocUnsafe(2 + a.length + b.length + 2 + (hasPorts ? 4 : 0));
  let o = input.writeUInt16BE(seed & 0xffff, 0);
  input.set(a, o);
  o += a.length;
  input.set(b, o);
  o += b.length;
  input[o++] = proto;
  input[o++] = 0;
  if (hasPorts) {
    input.writeUInt16BE(srcFirst ? sport : dport, o);
    input.writeUInt16BE(srcFirst ? dport : sport, o + 2);
  }
  return input;
}

/** Each base64 character's value (-1: not one). */
const SEXTETS = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) SEXTETS[c.charCodeAt(0)] = i;

/**
 * The first 4 bytes of a Community ID's hash, as a number (big-endian): the packet index's community_key, a prefilter
 * scanned before the text (4 bytes a flow, where an ART index on the text took 78). Any text gives a key; only
 * Community IDs ("1:" and base64) give the one communityKeySql gives.
 */
export function communityKey(id: string): number {
  // Base64 characters 2..7 carry the hash's first 36 bits (decoded here: a Buffer per flow cost more than its hash).
  let bits = 0;
  for (let i = 2; i < 8 && i < id.length; i++) {
    const c = id.charCodeAt(i);
    const sextet = c < 128 ? SEXTETS[c] : -1;
    if (sextet < 0) { bits = -1; break; }
    bits = bits * 64 + sextet;
  }
  if (bits >= 0 && id.length >= 8) return Math.floor(bits / 16);
  const bytes = Buffer.alloc(4);
  Buffer.from(id.slice(2, 10), 'base64').copy(bytes);
  return bytes.readUInt32BE(0);
}

/** communityKey() in SQL, of a Community ID column or expression (an error on text that is not base64 after "1:"). */
export const communityKeySql = (id: string) => `('0x' || left(hex(from_base64(substr(${id}, 3, 8))), 8))::UINTEGER`;
