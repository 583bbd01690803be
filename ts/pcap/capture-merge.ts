// The packets of many captures as one stream in time order: a k-way merge by
// packet timestamp. Sequential pieces of a capture join up, and captures of
// the same hours from several interfaces interleave. A capture is opened only
// when the merge reaches its first packet's time, so a store of thousands of
// files keeps only the overlapping few open; each one's queue is bounded (its
// reader waits).

/**
 * Hands over one packet: bytes[start, end) (a view valid only during the call), its time and the worker it
 * goes to. Plain numbers, no object per packet: at hundreds of thousands of packets a second, a typed-array
 * view or record object each cost more than decoding the packet.
 */
export type PacketHandler = (bytes: Uint8Array, start: number, end: number, micros: number, nanos: number, origlen: number, shard: number) => void;

export interface MergeSource {
  /** Its first packet's time (µs), known before it is opened; Infinity when it has none. */
  firstMicros: number;
  /**
   * Reads the capture: push() for each packet in file order, awaiting pause() now and then (between chunks);
   * resolves at its end. A rejection ends this capture only: the caller reports it.
   */
  read(push: PacketHandler, pause: () => Promise<void>): Promise<void>;
}

export interface MergeSink {
  /** Takes a packet (copies its bytes); false when it wants no more until drained() resolves. */
  put(bytes: Uint8Array, start: number, end: number, micros: number, nanos: number, origlen: number, shard: number): boolean;
  drained(): Promise<void>;
}

/** A packet waiting in its capture's queue: its bytes are arena[start, end). */
interface QueuedPacket {
  micros: number;
  nanos: number;
  origlen: number;
  shard: number;
  arena: Uint8Array;
  start: number;
  end: number;
}

/** Bytes of packets one capture may have queued before its reader waits. */
const QUEUE_BYTES = 8 << 20;
/** Copies of packets go into arenas this big (one allocation per arena, not per packet). */
const ARENA = 1 << 20;

class OpenCapture {
  readonly queue: QueuedPacket[] = [];
  head = 0;
  bytes = 0;
  done = false;
  /** A packet handed straight to the sink was refused: the reader waits for the sink at its next pause. */
  sinkFull = false;
  resume: (() => void) | undefined;
  private arena = new Uint8Array(ARENA);
  private used = 0;
  constructor(readonly order: number) {}

  get empty(): boolean {
    return this.head === this.queue.length;
  }

  /** Whether this capture's next packet goes before `other`'s (the capture opened first wins a tie). */
  before(other: OpenCapture): boolean {
    const a = this.queue[this.head];
    const b = other.queue[other.head];
    return a.micros < b.micros || (a.micros === b.micros && (a.nanos < b.nanos || (a.nanos === b.nanos && this.order < other.order)));
  }

  /** Queues a copy of the packet (into an arena shared by many packets). */
  enqueue(bytes: Uint8Array, start: number, end: number, micros: number, nanos: number, origlen: number, shard: number): void {
    const n = end - start;
    if (this.used + n > this.arena.length) {
      this.arena = new Uint8Array(Math.max(ARENA, n));
      this.used = 0;
    }
    const at = this.used;
    this.arena.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, n), at);
    this.used = at + n;
    this.queue.push({ micros, nanos, origlen, shard, arena: this.arena, start: at, end: at + n });
    this.bytes += n;
  }
}

/** Whether an open capture other than `best` has a packet queued that goes before best's next. */
function anotherBefore(open: OpenCapture[], best: OpenCapture): boolean {
  for (const o of open) if (o !== best && !o.empty && o.before(best)) return true;
  return false;
}

/** Sends the packets of `sources` (sorted by first packet time) to `sink` in time order; resolves when all are sent. */
export async function mergeByTime(sources: MergeSource[], sink: MergeSink, signal?: AbortSignal): Promise<void> {
  const open: OpenCapture[] = [];
  let next = 0;
  let wake: (() => void) | undefined;
  const kick = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // Stopped from outside (a worker died, Ctrl-C): readers and the merge end with the reason.
  signal?.addEventListener('abort', () => {
    kick();
    for (const c of open) c.resume?.();
  });
  const nextFirst = () => (next < sources.length ? sources[next].firstMicros : Infinity);
  const start = (order: number) => {
    const capture = new OpenCapture(order);
    open.push(capture);
    const push: PacketHandler = (bytes, from, to, micros, nanos, origlen, shard) => {
      // The one capture open, nothing of it queued, and no other capture starts earlier: the packet goes
      // straight to the sink, copied once (sequential pieces of a capture, or a single capture).
      if (capture.empty && open.length === 1 && micros < nextFirst()) {
        if (!sink.put(bytes, from, to, micros, nanos, origlen, shard)) capture.sinkFull = true;
      } else {
        capture.enqueue(bytes, from, to, micros, nanos, origlen, shard);
      }
    };
    const pause = async () => {
      if (capture.sinkFull) {
        capture.sinkFull = false;
        await sink.drained();
      }
      kick();
      while (capture.bytes > QUEUE_BYTES && !signal?.aborted) await new Promise<void>(r => { capture.resume = r; });
      signal?.throwIfAborted();
    };
    sources[order].read(push, pause).catch(() => undefined).finally(() => {
      capture.done = true;
      kick();
    });
  };

  for (;;) {
    signal?.throwIfAborted();
    // The capture whose next packet is the earliest; none can be chosen while an open one has nothing queued yet.
    let best: OpenCapture | undefined;
    let waiting = false;
    for (let i = 0; i < open.length; i++) {
      const c = open[i];
      if (!c.empty) {
        if (!best || c.before(best)) best = c;
      } else if (c.done) {
        open.splice(i--, 1);
      } else {
        waiting = true;
      }
    }
    if (waiting) {
      await new Promise<void>(r => { wake = r; });
      continue;
    }
    const first = nextFirst();
    if (!best) {
      if (next === sources.length) return;
      start(next++);
      continue;
    }
    // A capture not yet open whose first packet may come earlier opens now (its first time has no nanoseconds).
    if (first <= best.queue[best.head].micros) {
      start(next++);
      continue;
    }
    // Send from the best capture until another's next packet (or the next capture's first) comes first.
    let full = false;
    for (;;) {
      const p = best.queue[best.head++];
      best.bytes -= p.end - p.start;
      if (!sink.put(p.arena, p.start, p.end, p.micros, p.nanos, p.origlen, p.shard)) full = true;
      if (best.empty || full) break;
      const q = best.queue[best.head];
      if (q.micros >= first || anotherBefore(open, best)) break;
    }
    if (best.head > 4096 || best.empty) {
      best.queue.splice(0, best.head);
      best.head = 0;
    }
    if (best.resume && best.bytes <= QUEUE_BYTES / 2) {
      const r = best.resume;
      best.resume = undefined;
      r();
    }
    if (full) await sink.drained();
  }
}
