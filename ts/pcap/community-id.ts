// Community ID v1 (corelight/community-id-spec): a flow's name that Zeek, Suricata
// and others compute alike, so a packet can be matched to conn.log's community_id.
import * as crypto from 'node:crypto';

type Sha1 = (data: Uint8Array, encoding: 'base64' | 'hex') => string;
/** One-shot hashing (Node >= 20.12) costs a third of a Hash object's for a flow's few bytes; a capture has many flows. */
const oneShot = (crypto as unknown as { hash?: (algorithm: string, data: Uint8Array, encoding: string) => string }).hash;
const sha1: Sha1 = oneShot ? (data, encoding) => oneShot('sha1', data, encoding)
  : (data, encoding) => crypto.createHash('sha1').update(data).digest(encoding);

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
  const d = sha1OneBlock(flowInput(proto, src, dst, sctp ? 0 : srcPort, sctp ? 0 : dstPort, 0, true, BLOCK));
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
  const input = new Uint8Array(MAX_INPUT);
  const length = flowInput(proto, src, dst, srcPort, dstPort, seed, zeekPortOrder, input);
  return `1:${sha1(input.subarray(0, length), base64 ? 'base64' : 'hex')}`;
}

/** The longest input: seed, two IPv6 addresses, protocol and padding, ports. */
const MAX_INPUT = 40;

/**
 * What Community ID v1 hashes: seed, ordered addresses, protocol, a zero byte and the ordered ports (if it has them),
 * into out from 0; returns its length.
 */
function flowInput(proto: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, seed: number, zeekPortOrder: boolean,
  out: Uint8Array): number {
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
  out[0] = (seed >> 8) & 0xff;
  out[1] = seed & 0xff;
  let o = 2;
  for (let i = 0; i < a.length; i++) out[o++] = a[i];
  for (let i = 0; i < b.length; i++) out[o++] = b[i];
  out[o++] = proto;
  out[o++] = 0;
  if (hasPorts) {
    const first = srcFirst ? sport : dport;
    const second = srcFirst ? dport : sport;
    out[o++] = first >> 8;
    out[o++] = first & 0xff;
    out[o++] = second >> 8;
    out[o++] = second & 0xff;
  }
  return o;
}

/** zeekCommunityIdBytes()'s message block, and SHA-1's schedule and digest (reused). */
const BLOCK = new Uint8Array(64);
const SCHEDULE = new Int32Array(80);
const DIGEST = new Uint8Array(20);

/**
 * SHA-1 (FIPS 180-4) of BLOCK's first `length` bytes, at most 55 (a flow's input is at most MAX_INPUT): one block,
 * padded here. In JS: Node's hash, a native call and a Buffer per flow, took twice as long (20 ms for 26,565 flows).
 */
function sha1OneBlock(length: number): Uint8Array {
  const block = BLOCK;
  block[length] = 0x80;
  block.fill(0, length + 1, 62);
  block[62] = (length * 8) >> 8;
  block[63] = (length * 8) & 0xff;
  const w = SCHEDULE;
  for (let t = 0; t < 16; t++) w[t] = (block[4 * t] << 24) | (block[4 * t + 1] << 16) | (block[4 * t + 2] << 8) | block[4 * t + 3];
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
    w[t] = (x << 1) | (x >>> 31);
  }
  const h0 = 0x67452301;
  const h1 = 0xefcdab89 | 0;
  const h2 = 0x98badcfe | 0;
  const h3 = 0x10325476;
  const h4 = 0xc3d2e1f0 | 0;
  let a = h0;
  let b = h1;
  let c = h2;
  let d = h3;
  let e = h4;
  for (let t = 0; t < 80; t++) {
    let f: number;
    let k: number;
    if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
    else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
    else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc | 0; }
    else { f = b ^ c ^ d; k = 0xca62c1d6 | 0; }
    const next = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = next;
  }
  putWord(0, h0 + a);
  putWord(1, h1 + b);
  putWord(2, h2 + c);
  putWord(3, h3 + d);
  putWord(4, h4 + e);
  return DIGEST;
}

/** Word i of the digest, big-endian. */
function putWord(i: number, word: number): void {
  DIGEST[4 * i] = word >>> 24;
  DIGEST[4 * i + 1] = word >>> 16;
  DIGEST[4 * i + 2] = word >>> 8;
  DIGEST[4 * i + 3] = word;
}

/**
 * The first 4 bytes of a Community ID's hash, as a number (big-endian): the packet index's community_key, a prefilter
 * scanned before the text (4 bytes a flow, where an ART index on the text took 78). Any text gives a key; only
 * Community IDs ("1:" and base64) give the one communityKeySql gives.
 */
export function communityKey(id: string): number {
  const bytes = Buffer.alloc(4);
  Buffer.from(id.slice(2, 10), 'base64').copy(bytes);
  return bytes.readUInt32BE(0);
}

/** communityKey() in SQL, of a Community ID column or expression (an error on text that is not base64 after "1:"). */
export const communityKeySql = (id: string) => `('0x' || left(hex(from_base64(substr(${id}, 3, 8))), 8))::UINTEGER`;

/** SQL binding `value` to the lambda parameter `name` in `body`: the value written and computed once. */
const bindSql = (value: string, name: string, body: string) => `list_transform([${value}], ${name} -> ${body})[1]`;

/** SQL: the hex of a dotted quad's 4 bytes. */
const ipv4HexSql = (text: string) => `array_to_string(list_transform(string_split(${text}, '.'), zc_x -> printf('%02x', zc_x::UTINYINT)), '')`;

/** SQL: the hex of an IPv6 address's 16 bytes, from its text ('::' and a dotted IPv4 tail allowed, as parseAddress()). */
function ipv6HexSql(text: string): string {
  const body = `CASE WHEN contains(${text}, '.') THEN ${bindSql(ipv4HexSql(`regexp_extract(${text}, '[0-9.]+$')`), 'zc_t',
    `regexp_replace(${text}, '[0-9.]+$', '') || substr(zc_t, 1, 4) || ':' || substr(zc_t, 5, 4)`)} ELSE ${text} END`;
  const groups = `zc_l || list_transform(range(8 - len(zc_l) - len(zc_r)), zc_x -> '0') || zc_r`;
  return bindSql(`string_split(${body}, '::')`, 'zc_h',
    bindSql(`CASE WHEN zc_h[1] = '' THEN [] ELSE string_split(zc_h[1], ':') END`, 'zc_l',
      bindSql(`CASE WHEN len(zc_h) = 2 AND zc_h[2] <> '' THEN string_split(zc_h[2], ':') ELSE [] END`, 'zc_r',
        `array_to_string(list_transform(${groups}, zc_g -> lpad(lower(zc_g), 4, '0')), '')`)));
}

/**
 * zeekCommunityId() in SQL, from a flow as pcap.flow_packets stores it (proto, a_addr, a_port, b_addr, b_port: the
 * endpoints in the index's order, ports 0 where Zeek has none, an ICMP type's counterpart as b_port): SHA-1 of the
 * tuple's bytes through DuckDB's sha1(BLOB). The address text of renderAddress() does not say when an IPv6 flow's
 * two addresses are both IPv4-mapped (both are written dotted): such a flow gets the IPv4 flow's Community ID.
 */
export function zeekCommunityIdSql(proto: string, aAddr: string, aPort: string, bAddr: string, bPort: string): string {
  const wide = `(contains(${aAddr}, ':') OR contains(${bAddr}, ':'))`;
  const hex = (addr: string) => `CASE WHEN contains(${addr}, ':') THEN ${ipv6HexSql(addr)}
    WHEN ${wide} THEN '00000000000000000000ffff' || ${ipv4HexSql(addr)} ELSE ${ipv4HexSql(addr)} END`;
  const twoWay = `((${proto} = ${ICMP} AND ${aPort} IN (${Object.keys(ICMP_COUNTERPARTS).join(', ')})) OR
    (${proto} = ${ICMP6} AND ${aPort} IN (${Object.keys(ICMP6_COUNTERPARTS).join(', ')})))`;
  const ported = `${proto} IN (${TCP}, ${UDP}, ${SCTP}, ${ICMP}, ${ICMP6})`;
  const swapped = (port: string) => `(((${port} & 255) << 8) | (${port} >> 8))`;
  // The index orders equal addresses' ports by number; Zeek by their network-order bytes read little-endian, and
  // a one-way ICMP type keeps its direction.
  const zeekSwaps = `(zc_a = zc_b AND ${ported} AND NOT (${proto} IN (${ICMP}, ${ICMP6}) AND NOT ${twoWay})
    AND NOT (${swapped(aPort)} < ${swapped(bPort)}))`;
  const protoHex = `printf('%02x00', ${proto})`;
  const input = `'0000' || CASE WHEN ${zeekSwaps} THEN zc_b || zc_a || ${protoHex} || printf('%04x%04x', ${bPort}, ${aPort})
    ELSE zc_a || zc_b || ${protoHex} || CASE WHEN ${ported} THEN printf('%04x%04x', ${aPort}, ${bPort}) ELSE '' END END`;
  return `('1:' || to_base64(unhex(sha1(unhex(${bindSql(hex(aAddr), 'zc_a', bindSql(hex(bAddr), 'zc_b', input))})))))`;
}
