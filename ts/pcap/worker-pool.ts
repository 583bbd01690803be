// Jobs on worker threads, one at a time per thread, each job about one file:
// the scan threads and the hash threads of the index. A thread that dies on a
// job fails that job only (its file named) and a fresh one takes its place.
import { ResourceLimits, Transferable, Worker, parentPort } from 'node:worker_threads';

interface Job<Request, Result> {
  file: string;
  request: Request;
  onProgress?: (bytesRead: number) => void;
  /** Moved to the thread with the request (a MessagePort). */
  transfer: Transferable[];
  resolve: (result: Result) => void;
  reject: (e: Error) => void;
}

interface Reply<Result> { progress?: number; result?: Result; error?: string }

export class WorkerPool<Request, Result> {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job<Request, Result>>();
  private readonly queue: Job<Request, Result>[] = [];
  private closed = false;
  readonly size: number;

  /**
   * `script`: the module that calls serveJobs() when loaded on a worker thread; `kind`: what its threads do, for
   * messages ("scan", "hash"); `limits`: for tests, a heap limit; `grow`: a job that finds no thread free starts
   * one more (jobs that must run at once, each waiting on the caller).
   */
  constructor(private readonly script: string, private readonly kind: string, size: number, private readonly limits?: ResourceLimits,
    private readonly grow = false) {
    this.size = Math.max(1, size);
    for (let i = 0; i < this.size; i++) this.idle.push(this.spawn());
  }

  /** Runs a job on the next free thread; rejects with the worker's error, or if the thread dies, naming the file. */
  run(file: string, request: Request, onProgress?: (bytesRead: number) => void, transfer: Transferable[] = []): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ file, request, onProgress, transfer, resolve, reject });
      if (this.grow && !this.idle.length) this.idle.push(this.spawn());
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.idle, ...this.busy.keys()].map(w => w.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, { resourceLimits: this.limits });
    worker.on('message', (reply: Reply<Result>) => {
      const job = this.busy.get(worker);
      if (!job) return;
      if (reply.progress !== undefined) return job.onProgress?.(reply.progress);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (reply.error !== undefined) job.reject(new Error(reply.error));
      else job.resolve(reply.result!);
      this.dispatch();
    });
    // A thread that dies on a job (out of memory on a giant capture, a bug) fails that job only, and a fresh one
    // takes its place. One that dies idle (it could not start) is not replaced: with none left, what waits fails.
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
        job.reject(new Error(`${job.file}: the ${this.kind} thread stopped: ${why}`));
        this.idle.push(this.spawn());
      } else if (!this.idle.length && !this.busy.size) {
        for (const waiting of this.queue.splice(0)) waiting.reject(new Error(`${waiting.file}: no ${this.kind} thread could start: ${why}`));
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
      worker.postMessage(job.request, job.transfer);
    }
  }
}

/**
 * On a worker thread: answers each request with handle()'s result (its buffers moved, not copied, when
 * transfer() names them), or its error's message.
 */
export function serveJobs<Request, Result>(
  handle: (request: Request, progress: (bytesRead: number) => void) => Promise<Result>,
  transfer: (result: Result) => ArrayBuffer[] = () => [],
): void {
  const port = parentPort!;
  port.on('message', (request: Request) => {
    handle(request, progress => port.postMessage({ progress }))
      .then(result => port.postMessage({ result }, transfer(result)), (e: Error) => port.postMessage({ error: e.message }));
  });
}
