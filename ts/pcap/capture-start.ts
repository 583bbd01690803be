import { readCapture } from './capture-reader';
import { NewCapture } from './indexer';
import { CaptureInfo } from './types';

/** A new capture, its header and its first packet's time. */
export interface Start extends NewCapture { info: CaptureInfo; firstMicros: number }

/** A capture's header and first packet's time (a look at its start only). */
export async function startOf(capture: NewCapture): Promise<Start> {
  let firstMicros = Infinity;
  const info = await readCapture(capture.file, r => { firstMicros = r.micros; }, { maxRecords: 1 });
  return { ...capture, info, firstMicros };
}

/** Zeek reads captures in the order of their packets' times, whatever their names. */
export function byFirstPacket(a: Start, b: Start): number {
  return a.firstMicros - b.firstMicros || (a.file < b.file ? -1 : 1);
}
