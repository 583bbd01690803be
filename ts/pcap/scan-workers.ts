// Captures scanned on worker threads, several at once: a capture store is many
// files and the machine many cores. Each worker scans one capture at a time.
import { ResourceLimits, Worker, isMainThread, parentPort } from 'node:worker_threads';
import { ScannedCapture, scanCapture } from './scan-capture';

interface Job {
  file: string;
  onProgress?: (bytesRead: number) => void;
  resolve: (scanned: ScannedCapture) => void;
  reject: (e: Error) => void;
}

interface Reply { progress?: number; scanned?: ScannedCapture; error?: string }

export class ScanWorkers {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private closed = false;

  readonly size: number;

  /** `limits`: for tests, a worker's heap limits. */
  constructor(size: number, private readonly limits?: ResourceLimits) {
    this.size = Math.max(1, size);
    for (let i = 0; i < this.size; i++) this.idle.push(this.spawn());
  }

  /** Scans a capture on the next free worker; rejects (naming the file) as scanCapture does, or if the worker dies. */
  scan(file: string, onProgress?: (bytesRead: number) => void): Promise<ScannedCapture> {
    return new Promise((resolve, reject) => {
      this.queue.push({ file, onProgress, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.idle, ...this.busy.keys()].map(w => w.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(__filename, { resourceLimits: this.limits });
    worker.on('message', (reply: Reply) => {
      const job = this.busy.get(worker);
      if (!job) return;
      if (reply.progress !== undefined) return job.onProgress?.(reply.progress);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (reply.error !== undefined) job.reject(new Error(reply.error));
      else job.resolve(reply.scanned!);
      this.dispatch();
    });
    // A worker that dies on a capture (out of memory on a giant one, a bug) fails that capture only, and a fresh
    // one takes its place. One that dies idle (it could not start) is not replaced: with none left, what waits fails.
    let dead = false;
    const died = (why: string) => {
      if (dead) return; // 'error' is followed by 'exit'
      dead = true;
      const job = this.busy.get(worker);
      this.busy.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      if (this.closed) return;
      if (job) {
        job.reject(new Error(`${job.file}: the scan thread stopped: ${why}`));
        this.idle.push(this.spawn());
      } else if (!this.idle.length && !this.busy.size) {
        for (const waiting of this.queue.splice(0)) waiting.reject(new Error(`${waiting.file}: no scan thread could start: ${why}`));
      }
      this.dispatch();
    };
    worker.on('error', e => died(e.message));
    worker.on('exit', code => died(`exit ${code}`));
    return worker;
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.busy.set(worker, job);
      worker.postMessage(job.file);
    }
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', (file: string) => {
    scanCapture(file, { onProgress: progress => port.postMessage({ progress }) })
      .then(scanned => port.postMessage({ scanned }), (e: Error) => port.postMessage({ error: e.message }));
  });
}
