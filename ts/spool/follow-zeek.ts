// A Zeek analyze --follow keeps running: it reads a pcap stream on its stdin
// that grows capture by capture (follow-stream.ts writes it), and after each
// batch a marker packet (follow.zeek) after which every log is flushed, so the
// batch's rows can be taken while Zeek goes on.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PCAP_RECORD_HEADER, putRecordHeader } from '../pcap/capture-writer';
import { CaptureFeed } from '../zeek/capture-feed';
import { Zeek } from '../zeek/find-zeek';
import { settled } from '../zeek/stream-settled';
import { ZeekRun, startZeek } from '../zeek/zeek-process';
import { ZeekLogs } from './zeek-logs';

/** The marker's frame: Ethernet to and from 00:..:00, ethertype 0x88b5 (local experimental), payload `zeekarrow!`. */
export const MARKER_FRAME = Buffer.concat([Buffer.alloc(12), Buffer.from([0x88, 0xb5]), Buffer.from('zeekarrow!'), Buffer.alloc(36)]);
/** How long a log written to before a marker may take to flush at it (its writer starting, on a busy machine). */
export const FLUSH_WAIT_MS = 120_000;
/** The link types a marker can be sent on. */
export const MARKER_LINK_TYPES = new Set([1]);

/** The stream's format, from its first capture's header. */
export interface StreamFormat { linkType: number; littleEndian: boolean; nanosecond: boolean }

export class FollowZeek {
  readonly logs: ZeekLogs;
  private readonly feed: CaptureFeed;
  private marks = 0;
  private lastMarker = -Infinity;

  private constructor(private readonly run: ZeekRun & { child?: { kill(s: string): void } }, work: string, readonly format: StreamFormat) {
    this.feed = new CaptureFeed(run.stdin);
    this.logs = new ZeekLogs(work, join(work, 'logs'));
  }

  /** Counts a marker at `micros` written into the stream; returns its time. */
  private marked(micros: number): number {
    this.lastMarker = Math.max(micros, this.lastMarker + 1);
    this.marks++;
    return this.lastMarker;
  }

  static start(zeek: Zeek, work: string, format: StreamFormat, options: { scripts?: string[]; ignoreChecksums?: boolean }): FollowZeek {
    mkdirSync(join(work, 'logs'), { recursive: true });
    const writer = join(__dirname, 'follow-writer.js');
    const run = startZeek(zeek, {
      capture: '-', db: join(work, 'unused.duckdb'), cwd: work, ignoreChecksums: options.ignoreChecksums,
      scripts: ['ZeekArrow/Arrow/follow', ...options.scripts ?? [], 'LogArrow::sink=module',
        `LogArrow::writer_module=${writer}`, `LogArrow::output_dir=${join(work, 'logs')}`],
    });
    return new FollowZeek(run, work, format);
  }

  /** Zeek's exit (it should not come before stop()). */
  get done(): ZeekRun['done'] {
    return this.run.done;
  }

  /** Bytes of a capture, in order (its pcap header is left out after the stream's first). */
  write(file: string, chunk: Uint8Array): Promise<void> {
    return this.feed.write(file, chunk, this.format.littleEndian);
  }

  /** Sends a marker at `micros` (at least 1 µs after the last, so each is known by its time); returns its time. */
  async mark(micros: number): Promise<number> {
    const at = Math.max(micros, this.lastMarker + 1);
    const record = Buffer.alloc(PCAP_RECORD_HEADER + MARKER_FRAME.length);
    putRecordHeader(record, 0, at, 0, MARKER_FRAME.length, MARKER_FRAME.length, this.format);
    MARKER_FRAME.copy(record, PCAP_RECORD_HEADER);
    const out: Writable = this.run.stdin;
    if (this.feed.failure) throw new Error(`Zeek stopped reading: ${this.feed.failure.message}`);
    if (!out.write(record)) await settled(out, 'drain');
    return this.marked(at);
  }

  /**
   * Waits until Zeek has handled every marker sent and every log written to before the last has flushed at it (the
   * marker's line names them: a writer starts in a thread of its own, maybe after the marker); rejects if Zeek exits.
   */
  async caughtUp(signal?: AbortSignal): Promise<void> {
    let exited: string | undefined;
    this.run.done.then(r => { exited = `Zeek exited (${r.signal ? `signal ${r.signal}` : `exit ${r.status}`}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`; });
    let handledAt = 0;
    for (;;) {
      if (exited) throw new Error(exited);
      signal?.throwIfAborted();
      if (this.logs.marksHandled() >= this.marks) {
        const waiting = this.logs.notFlushedAt(this.lastMarker, this.logs.writtenAtLastMark());
        if (!waiting.length) return;
        handledAt ||= Date.now();
        if (Date.now() - handledAt > FLUSH_WAIT_MS) {
          throw new Error(`Zeek's writer of ${waiting.join(', ')} did not flush at the marker of ${(this.lastMarker / 1e6).toFixed(6)} within ${FLUSH_WAIT_MS / 1000} s`);
        }
      }
      await new Promise(r => setTimeout(r, 20));
    }
  }

  /** The time of the last marker sent. */
  get markerMicros(): number {
    return this.lastMarker;
  }

  /** Ends Zeek's trace: it logs the sessions still open as at a capture's end, and exits. */
  async end(fed = true): Promise<void> {
    if (fed) await this.feed.end();
    const r = await this.run.done;
    if (r.status !== 0) throw new Error(`Zeek failed at the end of its trace (${r.signal ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  }

  /** Ends Zeek at once: what it has not logged by the last marker is not taken (a restart replays it). */
  async stop(): Promise<void> {
    this.run.child?.kill('SIGKILL');
    await this.run.done.catch(() => undefined);
  }
}
