import assert from 'node:assert/strict';
import { MergeSink, MergeSource, mergeByTime } from '../ts/pcap/capture-merge';

/** A packet the test makes: its time, and a payload naming it (capture and number). */
interface Made { micros: number; nanos: number; name: string }

/**
 * A capture in memory, handed out as a reader does: packets of a chunk are views into one buffer that
 * is overwritten after each chunk (so whatever the merge keeps it must have copied), pause() between chunks.
 */
function source(packets: Made[], chunk: number): MergeSource {
  return {
    firstMicros: packets.length ? packets[0].micros : Infinity,
    async read(push, pause) {
      const buffer = new Uint8Array(4096);
      for (let i = 0; i < packets.length; i += chunk) {
        await pause();
        let at = 7; // packets do not start at the buffer's start
        for (const p of packets.slice(i, i + chunk)) {
          const bytes = new TextEncoder().encode(p.name);
          buffer.set(bytes, at);
          push(buffer, at, at + bytes.length, p.micros, p.nanos, 60 + bytes.length, p.micros % 3);
          at += bytes.length + 5;
        }
        buffer.fill(0xff);
      }
    },
  };
}

/** Takes every packet as its name; refuses every `refuseEvery`-th (drained() then resolves a turn later). */
class RecordingSink implements MergeSink {
  readonly names: string[] = [];
  readonly shards: number[] = [];
  drains = 0;
  private puts = 0;
  constructor(private readonly refuseEvery = 0) {}
  put(bytes: Uint8Array, start: number, end: number, micros: number, nanos: number, origlen: number, shard: number): boolean {
    const name = new TextDecoder().decode(bytes.subarray(start, end));
    assert.equal(origlen, 60 + end - start, name);
    this.names.push(`${name}@${micros}.${nanos}`);
    this.shards.push(shard);
    return !this.refuseEvery || ++this.puts % this.refuseEvery !== 0;
  }
  async drained(): Promise<void> {
    this.drains++;
    await new Promise(setImmediate);
  }
}

/** Packets of capture `c` at the given times (µs, or [µs, ns]). */
function made(c: string, times: (number | [number, number])[]): Made[] {
  return times.map((t, i) => {
    const [micros, nanos] = typeof t === 'number' ? [t, 0] : t;
    return { micros, nanos, name: `${c}${i}` };
  });
}

/** The order a merge by time must give: by µs, then ns, then the capture listed first. */
function expected(captures: Made[][]): string[] {
  const all = captures.flatMap((packets, order) => packets.map(p => ({ ...p, order })));
  all.sort((a, b) => a.micros - b.micros || a.nanos - b.nanos || a.order - b.order);
  return all.map(p => `${p.name}@${p.micros}.${p.nanos}`);
}

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step);

describe('mergeByTime: the packets of many captures in time order', () => {
  it('sequential pieces of one capture join up in order', async () => {
    const captures = [made('a', range(0, 100)), made('b', range(100, 200)), made('c', range(200, 300))];
    const sink = new RecordingSink();
    await mergeByTime(captures.map(p => source(p, 16)), sink);
    assert.deepEqual(sink.names, expected(captures));
    assert.deepEqual(sink.shards, range(0, 300).map(t => t % 3));
  });

  it('captures of the same time interleave; a capture that starts inside another opens when the merge reaches its time', async () => {
    const captures = [made('a', range(0, 1000, 2)), made('b', range(1, 1000, 2)), made('c', range(500, 520)), made('d', range(999, 1200, 3))];
    const sink = new RecordingSink();
    await mergeByTime(captures.map(p => source(p, 37)), sink);
    assert.equal(sink.names.length, 500 + 500 + 20 + 67);
    assert.deepEqual(sink.names, expected(captures));
  });

  it('equal times: by nanoseconds, then the capture opened first', async () => {
    const captures = [made('a', [5, 7, [7, 3], 9, 9, 12]), made('b', [[5, 0], [7, 2], [7, 3], 9, 10, 12]), made('c', [7, 9])];
    const sink = new RecordingSink();
    await mergeByTime(captures.map(p => source(p, 2)), sink);
    assert.deepEqual(sink.names, [
      'a0@5.0', 'b0@5.0', 'a1@7.0', 'c0@7.0', 'b1@7.2', 'a2@7.3', 'b2@7.3', 'a3@9.0', 'a4@9.0', 'b3@9.0', 'c1@9.0', 'b4@10.0', 'a5@12.0', 'b5@12.0',
    ]);
  });

  it('a sink that refuses packets now and then is waited for, and nothing is lost or reordered', async () => {
    const captures = [made('a', range(0, 3000)), made('b', range(1500, 1600)), made('c', range(3000, 4000)), made('d', range(3500, 3600, 7))];
    const sink = new RecordingSink(7);
    await mergeByTime(captures.map(p => source(p, 50)), sink);
    assert.deepEqual(sink.names, expected(captures));
    assert.ok(sink.drains >= Math.floor(sink.names.length / 7 / 50), `waited ${sink.drains} times`);
  });

  it('a capture without packets, and a capture that fails, end only themselves', async () => {
    const failing: MergeSource = { firstMicros: 50, read: async (push, pause) => { await pause(); throw new Error('broken'); } };
    const captures = [made('a', range(0, 100)), made('b', range(100, 110))];
    const sink = new RecordingSink();
    await mergeByTime([source(captures[0], 10), source([], 10), failing, source(captures[1], 3)].sort((x, y) => x.firstMicros - y.firstMicros), sink);
    assert.deepEqual(sink.names, expected(captures));
  });
});
