// Captures scanned on worker threads, several at once: a capture store is many
// files and the machine many cores. Each thread scans one capture at a time.
import { ResourceLimits, isMainThread } from 'node:worker_threads';
import { ScannedCapture, scanCapture } from './scan-capture';
import { WorkerPool, serveJobs } from './worker-pool';

export class ScanWorkers extends WorkerPool<string, ScannedCapture> {
  /** `limits`: for tests, a thread's heap limits. */
  constructor(size: number, limits?: ResourceLimits) {
    super(__filename, 'scan', size, limits);
  }

  /** Scans a capture on the next free thread; rejects (naming the file) as scanCapture does, or if the thread dies. */
  scan(file: string, onProgress?: (bytesRead: number) => void): Promise<ScannedCapture> {
    return this.run(file, file, onProgress);
  }
}

/** The result's column buffers, each its own: moved to the main thread rather than copied. */
function columnBuffers({ flows: c }: ScannedCapture): ArrayBuffer[] {
  return [c.communityId.valueOffsets, c.communityId.data, c.proto, c.aAddr.valueOffsets, c.aAddr.data, c.aPort,
    c.bAddr.valueOffsets, c.bAddr.data, c.bPort, c.firstTs, c.lastTs, c.packetCounts, c.starts, c.offsets, c.ts,
    c.fromA, c.fragment].map(a => a.buffer as ArrayBuffer);
}

if (!isMainThread) serveJobs((file: string, progress) => scanCapture(file, { onProgress: progress }), columnBuffers);
