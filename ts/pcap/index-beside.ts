// The index of captures this thread reads to pass their packets on (analyze
// feeds them to Zeek): each is indexed on a thread of its own, from the chunks
// this thread reads (moved there once parsed here, not copied), so this thread
// only decodes and shards. A gzipped capture's index thread reads and decompresses the file
// itself.
import { MessageChannel } from 'node:worker_threads';
import { CHUNK_BYTES } from './capture-reader';
import { ScannedCapture } from './scan-capture';
import { ScanWorkers } from './scan-workers';
import { ChunkSender } from './shared-chunks';

export class IndexThreads {
  /** One thread per capture being read at once (the merge may have several open): each waits on this thread's reads. */
  private readonly threads = new ScanWorkers(1, undefined, true);
  /** The readers' ends of the captures being indexed (closing the threads lets each reader go on alone). */
  private readonly shares = new Set<ChunkSender>();

  /**
   * Starts indexing `file`: read it with `share` (readCapture's shareWith; none for a gzipped one), and the index
   * comes in `scanned`, rejecting as scanCapture does (or as this thread's read failed).
   */
  index(file: string, gzip: boolean): { share?: ChunkSender; scanned: Promise<ScannedCapture> } {
    if (gzip) return { scanned: this.threads.scan(file) };
    const { port1, port2 } = new MessageChannel();
    const share = new ChunkSender(port1, CHUNK_BYTES);
    this.shares.add(share);
    const scanned = this.threads.scan(file, undefined, port2);
    // Once the index has what it reads (or failed), the reader goes on alone.
    const alone = () => {
      share.abandon();
      this.shares.delete(share);
    };
    scanned.then(alone, alone);
    return { share, scanned };
  }

  async close(): Promise<void> {
    // A reader still under way (a stopped run) must not wait for chunks a stopped thread would give back.
    for (const share of this.shares) share.abandon();
    this.shares.clear();
    await this.threads.close();
  }
}
