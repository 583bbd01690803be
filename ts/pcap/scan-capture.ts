// One capture read once, start to end: every packet decoded and placed in its
// flows, and what was wrong inside the file. No database here: this runs on a
// scan worker (or in the caller's thread when the bytes also go elsewhere).
import { ReadOptions, readCapture } from './capture-reader';
import { PacketDecoder } from './decode';
import { FlowColumns, FlowSegments } from './flow-segments';
import { CaptureInfo, CaptureProblem, CaptureRecord, DecodedPacket } from './types';

export interface ScanOptions extends Pick<ReadOptions, 'shareWith' | 'chunks'> {
  /** Bytes of the file consumed so far (at most every few MiB). */
  onProgress?: (bytesRead: number) => void;
  /** Every byte as it is read, in order (decompressed); reading waits for it. */
  onData?: (chunk: Uint8Array) => void | Promise<void>;
  /** Every packet once decoded, in file order (both objects are reused: copy what you keep). */
  onPacket?: (record: CaptureRecord, packet: DecodedPacket) => void;
}

/** What a capture holds, ready for the index tables. */
export interface ScannedCapture {
  info: CaptureInfo;
  packets: number;
  /** µs; Infinity / -Infinity when there are no packets. */
  firstMicros: number;
  lastMicros: number;
  flows: FlowColumns;
  /** Damage and oddities inside the file, by byte offset. */
  problems: CaptureProblem[];
}

/**
 * Reads `file` and decodes every packet for `onPacket`, without placing it in flows (a worker host's read: the
 * logger host indexes); rejects only when it cannot be read as a capture at all.
 */
export function decodeCapture(file: string, options: ScanOptions & { onProblem?: (problem: CaptureProblem) => void }): Promise<CaptureInfo> {
  // A decoder and its output of this read's own (reads of other captures may interleave with it).
  const decoder = new PacketDecoder();
  const decoded: DecodedPacket = { layers: [], count: 0 };
  return readCapture(file, record => {
    decoder.decode(record.bytes, record.linkType, decoded, record.dataOffset, record.dataOffset + record.caplen);
    options.onPacket?.(record, decoded);
  }, { onProblem: options.onProblem, onProgress: options.onProgress, onData: options.onData, shareWith: options.shareWith, chunks: options.chunks });
}

/** Scans `file`; rejects only when it cannot be read as a capture at all (the message names the file). */
export async function scanCapture(file: string, options: ScanOptions = {}): Promise<ScannedCapture> {
  const segments = new FlowSegments();
  const problems: CaptureProblem[] = [];
  const decodeProblems = new Map<string, { offset: number; count: number }>();
  const cutShort = { offset: 0, count: 0 };
  const info = await decodeCapture(file, {
    ...options,
    onPacket: (record, decoded) => {
      if (record.caplen < record.origlen && cutShort.count++ === 0) cutShort.offset = record.offset;
      if (decoded.problem) {
        const seen = decodeProblems.get(decoded.problem);
        if (seen) seen.count++;
        else decodeProblems.set(decoded.problem, { offset: record.offset, count: 1 });
      }
      segments.add(record, decoded.layers, decoded.count);
      options.onPacket?.(record, decoded);
    },
    onProblem: p => problems.push(p),
  });
  // Packets the snaplen cut: indexed, but what extraction gives back is cut too.
  if (cutShort.count) {
    problems.push({ file, offset: cutShort.offset, severity: 'warning',
      message: `${cutShort.count} packet${cutShort.count === 1 ? ' was' : 's were'} captured shorter than sent (snaplen ${info.snaplen}; first at this offset)` });
  }
  // Packets the decoder could not follow (a link type it does not know, a truncated header): one warning per reason.
  for (const [reason, { offset, count }] of decodeProblems) {
    problems.push({ file, offset, severity: 'warning', message: `${count} packet${count === 1 ? '' : 's'}: ${reason} (first at this offset)` });
  }
  if (segments.packets === 0 && !problems.length) {
    problems.push({ file, offset: info.headerLength, severity: 'warning', message: 'no packets in this capture' });
  }
  const { columns, unmatchedFragments } = segments.toColumns();
  if (unmatchedFragments.count) {
    const n = unmatchedFragments.count;
    problems.push({ file, offset: unmatchedFragments.firstOffset, severity: 'warning',
      message: `${n} later fragment${n === 1 ? '' : 's'} whose first fragment is not in this capture ${n === 1 ? 'was' : 'were'} not indexed (first at this offset)` });
  }
  return { info, packets: segments.packets, firstMicros: segments.firstMicros, lastMicros: segments.lastMicros, flows: columns, problems };
}
