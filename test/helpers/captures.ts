import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readCapture } from '../../ts/pcap/capture-reader';
import { CaptureInfo, CaptureProblem } from '../../ts/pcap/types';

/** A packet record as read, copied out of the reader's buffer. */
export interface PacketRecord {
  offset: number;
  micros: number;
  nanos: number;
  caplen: number;
  origlen: number;
  linkType: number;
  data: Buffer;
}

export async function readRecords(file: string): Promise<{ info: CaptureInfo; records: PacketRecord[]; problems: CaptureProblem[] }> {
  const records: PacketRecord[] = [];
  const problems: CaptureProblem[] = [];
  const info = await readCapture(file, r => records.push({
    offset: r.offset, micros: r.micros, nanos: r.nanos, caplen: r.caplen, origlen: r.origlen, linkType: r.linkType, data: Buffer.from(r.data),
  }), { onProblem: p => problems.push(p) });
  return { info, records, problems };
}

/** What a packet is, wherever it is stored: its time, lengths, link type and bytes. */
export const packetText = (r: PacketRecord) =>
  `${r.micros}.${String(r.nanos).padStart(3, '0')} ${r.caplen}/${r.origlen} link ${r.linkType} ${r.data.toString('hex')}`;

/** MANIFEST.tsv's link type names (Wireshark's) as LINKTYPE_ numbers. */
export const MANIFEST_LINK_TYPES: Record<string, number> = {
  ether: 1,
  null: 0,
  'linux-sll': 113,
  'linux-sll2': 276,
  rawip: 101, // Wireshark's name covers DLT_RAW 12/14 too; these files carry LINKTYPE_RAW 101
  nflog: 239,
  'ieee-802-11-radiotap': 127,
  'fddi-swapped': 10, // Wireshark reads LINKTYPE_FDDI (10) as bit-swapped FDDI
};

/** Rows of a MANIFEST.tsv (header line names the columns). */
export function readManifest(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').split('\n').filter(l => l !== '');
  const names = header.split('\t');
  return lines.map(l => Object.fromEntries(l.split('\t').map((v, i) => [names[i], v])));
}

/** Packets tcpdump (libpcap) reads from a capture, or undefined when tcpdump is not installed. */
export function tcpdumpCount(file: string): number | undefined {
  const r = spawnSync('tcpdump', ['-nn', '-q', '-r', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) return undefined;
  if (r.status !== 0) throw new Error(`tcpdump cannot read ${file}: ${r.stderr}`);
  return r.stdout.split('\n').filter(l => l !== '').length;
}

/** Packets Wireshark's capinfos reads from a capture (it takes pcapng with several link types, libpcap does not), or undefined when not installed. */
export function capinfosCount(file: string): number | undefined {
  const r = spawnSync('capinfos', ['-T', '-c', '-M', file], { encoding: 'utf8' });
  if (r.error) return undefined;
  if (r.status !== 0) throw new Error(`capinfos cannot read ${file}: ${r.stderr}`);
  return Number(r.stdout.trim().split('\n')[1].split('\t')[1]);
}
