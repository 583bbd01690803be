// analyze's reader on three threads: the reader's (read, decode, shard), the
// index thread fed with the chunks the reader has parsed, and the pipe writer
// thread. Inputs built here with known content: every packet, offset and
// flow, and every byte of each worker's stream, are known without our code.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBridge } from '../ts/duckdb/bridge';
import { CHUNK_BYTES, MAX_SNAPLEN } from '../ts/pcap/capture-reader';
import { IndexThreads } from '../ts/pcap/index-beside';
import { decodeCapture } from '../ts/pcap/scan-capture';
import { PipeWriters } from '../ts/zeek/pipe-writers';
import { ShardFeed } from '../ts/zeek/shard-feed';
import { pipeStream } from '../ts/zeek/pipe-stream';
import { epb, idb, pcapHeader, pcapRecord, shb } from './helpers/capture-files';
import { tempDir } from './helpers/logs';

const FLOWS = 50;
const BASE = 1_700_000_000;

/** Packet j: Ethernet, IPv4 10.0.0.<flow+1> -> 10.1.0.1, UDP 1000+flow -> 53, a payload of a length that varies. */
function packet(j: number): Buffer {
  const flow = j % FLOWS;
  const payload = Buffer.alloc(200 + ((j * 7919) % 1200), j & 0xff);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(1000 + flow, 0);
  udp.writeUInt16BE(53, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const ip = Buffer.from([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, flow + 1, 10, 1, 0, 1]);
  ip.writeUInt16BE(20 + 8 + payload.length, 2);
  const ethernet = Buffer.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  return Buffer.concat([ethernet, ip, udp, payload]);
}

/** Packet j's time: j ms after BASE. */
const seconds = (j: number) => BASE + Math.floor(j / 1000);
const micros = (j: number) => (j % 1000) * 1000;

describe('analyze\'s reader: the index on a thread of its own, the pipes written by another', () => {
  let dir: string;
  let file: string;
  const count = 40_000; // ~34 MB: more chunks of 4 MiB than the 8 the reader and the index thread share
  const offsets: number[] = [];
  before(() => {
    dir = tempDir();
    file = join(dir, 'built.pcap');
    const parts = [pcapHeader(0xa1b2c3d4, true, 65535, 1)];
    let at = 24;
    for (let j = 0; j < count; j++) {
      const record = pcapRecord(true, seconds(j), micros(j), packet(j));
      offsets.push(at);
      at += record.length;
      parts.push(record);
    }
    writeFileSync(file, Buffer.concat(parts));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the reader decodes every record in order while the index thread indexes every packet into its flows', async () => {
    const threads = new IndexThreads();
    try {
      const { share, scanned } = threads.index(file, false);
      assert.ok(share);
      const seen: number[] = [];
      let bytes = 0;
      await decodeCapture(file, {
        shareWith: share,
        onPacket: (r, p) => {
          seen.push(r.offset);
          assert.equal(p.count, 1);
          bytes += r.caplen;
        },
        // A slow consumer now and then: the reader waits, the index thread goes on with the chunks it has.
        onData: chunk => (chunk.length > 1 << 20 ? new Promise(r => setTimeout(r, 5)) : undefined),
      });
      assert.deepEqual(seen, offsets);
      assert.equal(bytes, offsets.reduce((n, _, j) => n + packet(j).length, 0));
      const index = await scanned;
      assert.equal(index.packets, count);
      assert.deepEqual(index.problems, []);
      assert.equal(index.firstMicros, BASE * 1e6);
      assert.equal(index.lastMicros, seconds(count - 1) * 1e6 + micros(count - 1));
      const flows = index.flows;
      assert.equal(flows.flows, FLOWS);
      const byPort = new Map<number, { packets: number; first: bigint }>();
      for (let f = 0; f < flows.flows; f++) {
        const port = flows.aPort[f] === 53 ? flows.bPort[f] : flows.aPort[f];
        byPort.set(port, { packets: flows.packetCounts[f], first: flows.firstOffset[f] });
      }
      for (let flow = 0; flow < FLOWS; flow++) {
        assert.deepEqual(byPort.get(1000 + flow), { packets: count / FLOWS, first: BigInt(offsets[flow]) }, `flow ${flow}`);
      }
    } finally {
      await threads.close();
    }
  });

  it('pcapng blocks longer than a chunk\'s headroom, across chunk ends: the index thread places every packet where it is', async () => {
    // Blocks of ~1 MB (more than the 256 KiB of headroom in front of each chunk) between small ones: some start in one
    // 4 MiB chunk and end in the next, some with more than the headroom in the first, some with less.
    const parts = [shb(true), idb(true, 1, 0)];
    let at = parts[0].length + parts[1].length;
    const blockOffsets: number[] = [];
    const n = 40;
    for (let j = 0; j < n; j++) {
      const data = Buffer.concat([packet(0), Buffer.alloc(j % 2 ? 1_000_000 : 1000, j)]);
      const b = epb(true, 0, BigInt(BASE * 1e6 + j), data);
      blockOffsets.push(at);
      at += b.length;
      parts.push(b);
    }
    const big = join(dir, 'big-blocks.pcapng');
    writeFileSync(big, Buffer.concat(parts));
    // The bytes of each block cut by a chunk's end that are in the first chunk (the reader reads the file in chunks of READ bytes).
    const HEADROOM = MAX_SNAPLEN + 64;
    const READ = CHUNK_BYTES - HEADROOM;
    const cut: number[] = [];
    for (let end = READ; end < at; end += READ) {
      const j = blockOffsets.findIndex((o, i) => o < end && (blockOffsets[i + 1] ?? at) > end);
      if (j >= 0) cut.push(end - blockOffsets[j]);
    }
    assert.ok(cut.some(b => b > HEADROOM) && cut.some(b => b <= HEADROOM), `bytes before chunk ends: ${cut}`);
    const threads = new IndexThreads();
    try {
      const { share, scanned } = threads.index(big, false);
      const seen: number[] = [];
      await decodeCapture(big, { shareWith: share, onPacket: r => { seen.push(r.offset); } });
      assert.deepEqual(seen, blockOffsets);
      const index = await scanned;
      assert.equal(index.packets, n);
      const flows = index.flows;
      assert.equal(flows.flows, 1); // packet(0)'s flow, every one
      assert.equal(flows.firstOffset[0], BigInt(blockOffsets[0]));
      assert.deepEqual([...flows.offsetDeltas].map(Number), blockOffsets.map(o => o - blockOffsets[0]));
      assert.deepEqual([...flows.tsDeltas].map(Number), blockOffsets.map((_, j) => j));
    } finally {
      await threads.close();
    }
  });

  it('a file that is not a capture fails the read and the index alike, naming the file', async () => {
    const text = join(dir, 'not-a-capture.pcap');
    writeFileSync(text, Buffer.alloc(6 << 20, 'x'));
    const threads = new IndexThreads();
    try {
      const { share, scanned } = threads.index(text, false);
      const message = `${text}: not a pcap or pcapng file (first bytes 78 78 78 78)`;
      await assert.rejects(decodeCapture(text, { shareWith: share }), { message });
      await assert.rejects(scanned, { message });
    } finally {
      await threads.close();
    }
  });

  /** Worker `i`'s pipe (1 MiB, as a Zeek's stdin) read by `command` whose stdout goes to its file. */
  function pipeInto(command: string, out: string) {
    const pipe = nativeBridge().childPipe(1 << 20);
    const fd = openSync(out, 'w');
    const child = spawn('sh', ['-c', command], { stdio: [pipe.read, fd, 'inherit'] });
    closeSync(pipe.read);
    closeSync(fd);
    return { input: pipeStream(pipe.write), exited: once(child, 'exit') };
  }

  it('each worker\'s pipe gets exactly its pcap stream: the header, then its packets in order, nanosecond records', async () => {
    const workers = [0, 1, 2].map(i => ({ out: join(dir, `worker-${i}.pcap`) }));
    const pipes = workers.map(w => pipeInto('exec cat', w.out));
    const feed = new ShardFeed(pipes.map(p => p.input), 1);
    const expected = workers.map(() => [pcapHeader(0xa1b23c4d, true, 262144, 1)]);
    try {
      assert.ok(feed.threaded, 'the pipes are written by the writer thread');
      for (let j = 0; j < count; j++) {
        const data = packet(j);
        const shard = (j * 31) % 3;
        const framed = Buffer.concat([Buffer.alloc(5), data, Buffer.alloc(3)]);
        if (!feed.put(framed, 5, 5 + data.length, seconds(j) * 1e6 + micros(j), j % 1000, data.length + 4, shard)) await feed.drained();
        expected[shard].push(pcapRecord(true, seconds(j), micros(j) * 1000 + (j % 1000), data, data.length + 4));
      }
      await feed.end();
    } finally {
      await feed.close();
    }
    await Promise.all(pipes.map(p => p.exited));
    for (let i = 0; i < workers.length; i++) assert.ok(readFileSync(workers[i].out).equals(Buffer.concat(expected[i])), `worker ${i}'s stream`);
  });

  it('a worker that stops reading does not stop the feed: the others get all of theirs', async () => {
    const workers = [0, 1].map(i => ({ out: join(dir, `stops-${i}.pcap`) }));
    const pipes = [pipeInto('head -c 1000', workers[0].out), pipeInto('exec cat', workers[1].out)];
    const feed = new ShardFeed(pipes.map(p => p.input), 1);
    const expected = [pcapHeader(0xa1b23c4d, true, 262144, 1)];
    try {
      for (let j = 0; j < count; j++) {
        const data = packet(j);
        const shard = j % 2;
        if (!feed.put(data, 0, data.length, seconds(j) * 1e6 + micros(j), 0, data.length, shard)) await feed.drained();
        if (shard === 1) expected.push(pcapRecord(true, seconds(j), micros(j) * 1000, data));
      }
      await feed.end();
    } finally {
      await feed.close();
    }
    await Promise.all(pipes.map(p => p.exited));
    assert.equal(readFileSync(workers[0].out).length, 1000);
    assert.ok(readFileSync(workers[1].out).equals(Buffer.concat(expected)));
  });

  it('the pipe writer thread closes each of its descriptors once: files opened after its pipes ended stay open when it exits', async () => {
    // Node closes a worker's fs.open descriptors again at its exit unless told not to: a file another thread
    // had opened under the same number since was closed under it (analyze's hash failed "EBADF ... close").
    const pipes = [0, 1].map(i => pipeInto('exec cat', join(dir, `once-${i}.bin`)));
    const fds = pipes.map(p => (p.input as unknown as { _handle: { fd: number } })._handle.fd);
    const writers = new PipeWriters(fds, { written: () => undefined, broken: (out, m) => assert.fail(`pipe ${out}: ${m}`) });
    const opened: number[] = [];
    try {
      writers.write(0, new Uint8Array([1, 2, 3]).buffer, 3);
      writers.write(1, new Uint8Array([4, 5]).buffer, 2);
      await writers.end(); // the thread's descriptors are closed now
      for (let i = 0; i < 64; i++) opened.push(openSync('/dev/null', 'r')); // the lowest free numbers: theirs among them
    } finally {
      await writers.close();
    }
    try {
      const closedUnderUs = opened.filter(fd => { try { fstatSync(fd); return false; } catch { return true; } });
      assert.deepEqual(closedUnderUs, []);
    } finally {
      for (const fd of opened) { try { closeSync(fd); } catch { /* closed under us: reported above */ } }
      for (const p of pipes) p.input.end();
    }
    await Promise.all(pipes.map(p => p.exited));
    assert.deepEqual([...readFileSync(join(dir, 'once-0.bin'))], [1, 2, 3]);
    assert.deepEqual([...readFileSync(join(dir, 'once-1.bin'))], [4, 5]);
  });
});
