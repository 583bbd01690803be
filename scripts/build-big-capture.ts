// Builds a large Ethernet pcap from the corpus traces, for the benchmarks: the
// traces are replayed in rounds, each round later in time and with its own
// addresses, so every round's sessions are new sessions to Zeek and to the
// index. Checksums are kept valid (RFC 1624 incremental updates). Two kinds:
// every trace (packets of ~770 bytes on average), or only the traces of small
// packets (~375 bytes: DNS, TLS handshakes, tunnels, SMTP ...), which costs the
// packet index most for its size.
//
//   node dist/scripts/build-big-capture.js --size 512M [--kind small] -o big.pcap
import { WriteStream, closeSync, createWriteStream, openSync, readSync, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { readCapture } from '../ts/pcap/capture-reader';
import { decodePacket } from '../ts/pcap/decode';
import { DecodedPacket, LINKTYPE } from '../ts/pcap/types';

const REPO = resolve(__dirname, '..', '..');
const CORPUS_PCAPS = resolve(REPO, '..', 'shared', 'corpus', 'pcaps');
/** Longer silences are cut to this (µs): still past Zeek's TCP inactivity timeout (5 min), so conns split alike. */
const MAX_GAP = 301e6;
/** Traces left out: packets that are noise once replayed (the corrupt MPLS trace is mostly garbage). */
const LEFT_OUT = new Set(['trunc__mpls-6in6-broken.pcap.gz']);

interface Packet { micros: number; data: Buffer; origlen: number }

/** all: every trace; small: only traces whose records average at most SMALL_RECORD bytes. */
export type CaptureKind = 'all' | 'small';
export const CAPTURE_KINDS: CaptureKind[] = ['all', 'small'];
/** Leaves out bulk transfers (FTP, SMB, SSH, HTTP downloads, LDAP) and keeps 40 traces of ~375-byte records. */
const SMALL_RECORD = 700;

/** Every Ethernet trace of the corpus (of the kind), its packets' times made relative and long silences cut. */
async function corpusPackets(kind: CaptureKind): Promise<Packet[][]> {
  const traces: Packet[][] = [];
  for (const name of readdirSync(CORPUS_PCAPS).filter(n => n !== 'MANIFEST.tsv' && !LEFT_OUT.has(n)).sort()) {
    const packets: Packet[] = [];
    let ethernet = true;
    let previous: number | undefined;
    let clock = 0;
    await readCapture(join(CORPUS_PCAPS, name), record => {
      if (record.linkType !== LINKTYPE.ETHERNET) { ethernet = false; return; }
      const gap = previous === undefined ? 0 : record.micros - previous;
      previous = record.micros;
      clock += Math.min(Math.max(gap, 0), MAX_GAP);
      packets.push({ micros: clock, data: Buffer.from(record.data), origlen: record.origlen });
    });
    const recordBytes = packets.reduce((n, p) => n + 16 + p.data.length, 0);
    if (ethernet && packets.length && (kind === 'all' || recordBytes / packets.length <= SMALL_RECORD)) traces.push(packets);
  }
  return traces;
}

/** A checksum after a 16-bit word it covers changed from `was` to `now` (RFC 1624, eqn 3); `swap`: the word sits at an odd offset. */
function adjusted(checksum: number, was: number, now: number, swap: boolean): number {
  if (swap) { was = ((was & 255) << 8) | (was >> 8); now = ((now & 255) << 8) | (now >> 8); }
  let sum = (~checksum & 0xffff) + (~was & 0xffff) + now;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

const TCP = 6;
const UDP = 17;
const ICMP6 = 58;

/** Where a transport's checksum sits (-1: none, not captured, or UDP's "no checksum"). */
function checksumOffset(data: Buffer, proto: number, transport: number): number {
  if (transport < 0) return -1;
  const at = proto === TCP ? transport + 16 : proto === UDP ? transport + 6 : proto === ICMP6 ? transport + 2 : -1;
  if (at < 0 || at + 2 > data.length) return -1;
  return proto === UDP && data.readUInt16BE(at) === 0 ? -1 : at;
}

/**
 * Moves every address of a packet by `shift` (added to one 16-bit word of it), in all IP layers, keeping the
 * checksums right: IPv4 headers, transports whose pseudo-header holds the address, and the outer transports
 * of a tunnel, whose payload holds every byte changed inside it.
 */
function shiftAddresses(data: Buffer, decoded: DecodedPacket, shift: number): void {
  const transports = decoded.layers.slice(0, decoded.count).map(layer => ({
    start: layer.transportOffset,
    checksum: layer.hasTransport ? checksumOffset(data, layer.proto, layer.transportOffset) : -1,
  }));
  // Sets a word of layer `depth`; every enclosing transport's checksum follows.
  const setWord = (at: number, now: number, depth: number): void => {
    if (at < 0 || at + 2 > data.length) return;
    const was = data.readUInt16BE(at);
    if (was === now) return;
    data.writeUInt16BE(now, at);
    for (let j = depth - 1; j >= 0; j--) {
      const outer = transports[j];
      if (outer.checksum < 0 || at < outer.start) continue;
      setWord(outer.checksum, adjusted(data.readUInt16BE(outer.checksum), was, now, (at - outer.start) % 2 !== 0), j);
    }
  };
  for (let d = 0; d < decoded.count; d++) {
    const layer = decoded.layers[d];
    const ip = layer.ipOffset;
    for (const at of layer.ipVersion === 4 ? [ip + 14, ip + 18] : [ip + 12, ip + 28]) {
      if (at + 2 > data.length) continue;
      const was = data.readUInt16BE(at);
      const now = (was + shift) & 0xffff;
      setWord(at, now, d);
      if (layer.ipVersion === 4 && ip + 12 <= data.length) setWord(ip + 10, adjusted(data.readUInt16BE(ip + 10), was, now, false), d);
      const own = transports[d].checksum;
      if (own >= 0) setWord(own, adjusted(data.readUInt16BE(own), was, now, false), d);
    }
  }
}

function pcapHeader(): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(LINKTYPE.ETHERNET, 20);
  return header;
}

/** Writes rounds of the corpus until `size` bytes; returns packets and bytes written. */
export async function buildBigCapture(out: string, size: number, kind: CaptureKind = 'all'): Promise<{ packets: number; bytes: number; rounds: number }> {
  const traces = await corpusPackets(kind);
  // Each round plays every trace from its start, interleaved in time; rounds follow each other.
  const merged = traces.flatMap(t => t).sort((a, b) => a.micros - b.micros);
  const roundSpan = merged[merged.length - 1].micros + 1e6;
  const start = Date.UTC(2026, 0, 1) * 1000;
  const file = createWriteStream(out);
  const write = async (chunk: Buffer) => { if (!file.write(chunk)) await once(file, 'drain'); };
  await write(pcapHeader());
  let bytes = 24;
  let packets = 0;
  let round = 0;
  const decoded: DecodedPacket = { layers: [], count: 0 };
  for (; bytes < size; round++) {
    if (round >= 0xffff) throw new Error('too many rounds for distinct addresses');
    for (const p of merged) {
      const data = Buffer.from(p.data);
      decodePacket(data, LINKTYPE.ETHERNET, decoded);
      shiftAddresses(data, decoded, round);
      const micros = start + round * roundSpan + p.micros;
      const record = Buffer.alloc(16);
      record.writeUInt32LE(Math.floor(micros / 1e6), 0);
      record.writeUInt32LE(micros % 1e6, 4);
      record.writeUInt32LE(data.length, 8);
      record.writeUInt32LE(p.origlen, 12);
      await write(record);
      await write(data);
      bytes += 16 + data.length;
      packets++;
    }
  }
  file.end();
  await once(file, 'finish');
  return { packets, bytes, rounds: round };
}

/**
 * Cuts a pcap into pieces of about `pieceSize` bytes, records whole, each piece a pcap with the same header: the
 * many-files shape of a capture store. Returns the pieces' paths.
 */
export async function cutIntoPieces(file: string, pieceSize: number, dir: string): Promise<string[]> {
  const header = Buffer.alloc(24);
  const fd = openSync(file, 'r');
  readSync(fd, header, 0, 24, 0);
  closeSync(fd);
  const pieces: string[] = [];
  let out: WriteStream | undefined;
  let written = Infinity;
  const write = async (chunk: Uint8Array) => { if (!out!.write(chunk)) await once(out!, 'drain'); };
  const close = async () => { if (out) { out.end(); await once(out, 'finish'); } };
  // Records are copied as read and written between reads (the reader waits for onData).
  const records: Buffer[] = [];
  const flush = async () => {
    for (const record of records.splice(0)) {
      if (written + record.length > pieceSize) {
        await close();
        pieces.push(join(dir, `piece-${String(pieces.length).padStart(4, '0')}.pcap`));
        out = createWriteStream(pieces[pieces.length - 1]);
        await write(header);
        written = header.length;
      }
      await write(record);
      written += record.length;
    }
  };
  await readCapture(file, r => { records.push(Buffer.from(r.bytes.subarray(r.dataOffset - 16, r.dataOffset + r.caplen))); },
    { onData: flush });
  await flush();
  await close();
  return pieces;
}

/** "512M", "2G", "1000000" to bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: '${text}'`);
  return Math.round(Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G']);
}

if (require.main === module) {
  const options = new Command('build-big-capture')
    .option('--size <size>', 'at least this many bytes (K, M, G suffixes)', '512M')
    .option('--kind <kind>', `which corpus traces: ${CAPTURE_KINDS.join(' or ')}`, 'all')
    .requiredOption('-o, --out <file>', 'pcap file to write')
    .parse().opts<{ size: string; kind: CaptureKind; out: string }>();
  if (!CAPTURE_KINDS.includes(options.kind)) throw new Error(`--kind: '${options.kind}' is not one of ${CAPTURE_KINDS.join(', ')}`);
  buildBigCapture(options.out, parseSize(options.size), options.kind).then(r => {
    process.stdout.write(`${options.out}: ${r.packets} packets, ${r.bytes} bytes, ${r.rounds} rounds of the corpus\n`);
  }, e => { process.stderr.write(`build-big-capture: ${(e as Error).message}\n`); process.exitCode = 1; });
}
