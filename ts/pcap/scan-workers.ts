// Captures scanned on worker threads, several at once: a capture store is many
// files and the machine many cores. Each thread scans one capture at a time.
import { MessagePort, ResourceLimits, isMainThread } from 'node:worker_threads';
import { ScannedCapture, scanCapture } from './scan-capture';
import { ChunkReceiver } from './shared-chunks';
import { WorkerPool, serveJobs } from './worker-pool';

/** A capture to scan: its file, and the port its chunks come over when another thread reads it (shared-chunks.ts). */
type ScanRequest = string | { file: string; chunks: MessagePort };

export class ScanWorkers extends WorkerPool<ScanRequest, ScannedCapture> {
  /** `limits`: for tests, a thread's heap limits; `grow`: one more thread when none is free (scans that run at once). */
  constructor(size: number, limits?: ResourceLimits, grow = false) {
    super(__filename, 'scan', size, limits, grow);
  }

  /**
   * Scans a capture on the next free thread; rejects (naming the file) as scanCapture does, or if the thread dies.
   * With `chunks`, its bytes come from the thread that reads the file (a ChunkSender at the port's other end).
   */
  scan(file: string, onProgress?: (bytesRead: number) => void, chunks?: MessagePort): Promise<ScannedCapture> {
    return chunks ? this.run(file, { file, chunks }, onProgress, [chunks]) : this.run(file, file, onProgress);
  }
}

/** The result's column buffers, each its own: moved to the main thread rather than copied. */
function columnBuffers({ flows: c }: ScannedCapture): ArrayBuffer[] {
  return [c.communityId.valueOffsets, c.communityId.data, c.proto, c.aAddr.valueOffsets, c.aAddr.data, c.aPort,
    c.bAddr.valueOffsets, c.bAddr.data, c.bPort, c.firstTs, c.lastTs, c.packetCounts, c.firstOffset, c.starts, c.offsetDeltas, c.tsDeltas,
    c.fromA, c.fragment].map(a => a.buffer as ArrayBuffer);
}

if (!isMainThread) {
  serveJobs((r: ScanRequest, progress) => (typeof r === 'string' ? scanCapture(r, { onProgress: progress })
    : scanCapture(r.file, { onProgress: progress, chunks: new ChunkReceiver(r.chunks) })), columnBuffers);
}
