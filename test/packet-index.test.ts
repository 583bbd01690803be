import assert from 'node:assert/strict';
import { SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Database } from '../ts/duckdb/database';
import { LogIngester } from '../ts/logs/ingest';
import { extractSessions } from '../ts/pcap/extract';
import { listCaptureFiles } from '../ts/pcap/capture-files';
import { IndexSummary, indexCaptures } from '../ts/pcap/indexer';
import { formatCaptureProblem } from '../ts/pcap/problems';
import { CaptureProblem } from '../ts/pcap/types';
import { ScanWorkers } from '../ts/pcap/scan-workers';
import { pcapHeader, pcapRecord } from './helpers/capture-files';
import { REPO, corpusPath } from './helpers/corpus';
import { suiteTempDirs, tempDir } from './helpers/logs';
import { MANIFEST_LINK_TYPES, readManifest, readRecords } from './helpers/captures';

const problemText = (p: CaptureProblem) => `${basename(p.file)} ${p.severity} at ${p.offset}: ${p.message}`;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A MANIFEST timestamp as Zeek logs it: to the µs, a nanosecond capture's rounded. */
function zeekTime(text: string): string {
  const [seconds, fraction] = text.split('.');
  const micros = BigInt(seconds) * 1000000n + BigInt(fraction.slice(0, 6)) + (fraction.length > 6 && Number(fraction[6]) >= 5 ? 1n : 0n);
  return String(micros);
}

describe('zeek-arrow index over the corpus', () => {
  const manifest = readManifest(corpusPath('pcaps', 'MANIFEST.tsv'));
  let dir: string;
  let db: Database;
  let summary: IndexSummary;
  before(async () => {
    dir = tempDir();
    db = await Database.open(join(dir, 'index.duckdb'));
    summary = await indexCaptures(db, (await listCaptureFiles([corpusPath('pcaps')])).files);
  });
  after(() => db.close());
  const tempDir = suiteTempDirs(); // after db.close(): its after hook runs next

  it('indexes every capture, naming what is odd or damaged by file and byte offset', () => {
    assert.equal(summary.captures, manifest.length);
    assert.deepEqual(summary.problems.map(problemText), [
      'empty.trace warning at 24: no packets in this capture',
      'ipv6-fragmented-dns.trace warning at 728: 1 later fragment whose first fragment is not in this capture was not indexed (first at this offset)',
      'llc.pcap warning at 24: 1210 packets were captured shorter than sent (snaplen 8195; first at this offset)',
      'tcp__truncated-header.pcap warning at 24: 24 packets were captured shorter than sent (snaplen 68; first at this offset)',
      'trunc__mpls-6in6-broken.pcap.gz warning at 24: 1774 packets: IPv6 in IP payload is not one IPv6 packet (first at this offset)',
      'trunc__mpls-6in6-broken.pcap.gz warning at 1464: 22 packets: unknown IP version 0 (first at this offset)',
      'trunc__mpls-6in6-broken.pcap.gz warning at 31000: 15 packets: IPv4 header longer than its packet (first at this offset)',
    ]);
  });

  it('describes each capture as MANIFEST.tsv does, with the SHA-256 of its bytes', async () => {
    const rows = await db.all(`SELECT path, bytes, packets, format, nanosecond, gzip, link_types, sha256,
      epoch_us(first_ts) AS first, epoch_us(last_ts) AS last FROM pcap.captures`);
    const byName = new Map(rows.map(r => [basename(String(r.path)), r]));
    for (const m of manifest) {
      const r = byName.get(m.file)!;
      const content = readFileSync(corpusPath('pcaps', m.file));
      assert.deepEqual({
        bytes: Number(r.bytes), packets: Number(r.packets), format: r.nanosecond && r.format === 'pcap' ? 'nsecpcap' : r.format,
        gzip: r.gzip, link: (r.link_types as { items: number[] }).items.map(Number)[0], sha256: r.sha256,
        first: r.first === null ? 'n/a' : String(r.first), last: r.last === null ? 'n/a' : String(r.last),
      }, {
        bytes: Number(m.bytes), packets: Number(m.packets), format: m.format, gzip: m.file.endsWith('.gz'),
        link: MANIFEST_LINK_TYPES[m.link_type], sha256: sha256(content),
        first: m.first_ts === 'n/a' ? 'n/a' : zeekTime(m.first_ts), last: m.last_ts === 'n/a' ? 'n/a' : zeekTime(m.last_ts),
      }, m.file);
    }
  });

  it('stores every flow packet where it is: the offset and time of its record in the capture', async () => {
    const flows = await db.all(`SELECT path, offsets, ts FROM (SELECT path, list(o) AS offsets,
        list(t) AS ts FROM (SELECT capture_id, first_offset + unnest(offset_deltas) AS o,
        epoch_us(first_ts) + unnest(ts_deltas) AS t FROM pcap.flow_packets)
        JOIN pcap.captures USING (capture_id) GROUP BY path)`);
    let checked = 0;
    for (const f of flows) {
      const records = new Map((await readRecords(String(f.path))).records.map(r => [r.offset, r]));
      const items = (v: unknown) => (v as { items: unknown[] }).items.map(Number);
      const [offsets, ts] = [items(f.offsets), items(f.ts)];
      offsets.forEach((o, i) => {
        const r = records.get(o);
        assert.ok(r, `${f.path}: no record at ${o}`);
        assert.equal(ts[i], r.micros + (r.nanos >= 500 ? 1 : 0));
        checked++;
      });
    }
    assert.equal(checked, Number((await db.all('SELECT sum(len(offset_deltas)) AS n FROM pcap.flow_packets'))[0].n));
    assert.ok(checked > 12000);
  });

  it('a second run over the same files adds nothing', async () => {
    const before = await db.all('SELECT count(*) AS c, sum(packets) AS p FROM pcap.flow_packets');
    const again = await indexCaptures(db, (await listCaptureFiles([corpusPath('pcaps')])).files);
    assert.deepEqual([again.captures, again.skipped, again.problems], [0, manifest.length, []]);
    assert.deepEqual(await db.all('SELECT count(*) AS c, sum(packets) AS p FROM pcap.flow_packets'), before);
  });

  it('knows a capture by its content, not its name: a renamed copy adds nothing, a moved one is found where it went', async () => {
    const copy = join(dir, 'renamed-copy.bin');
    copyFileSync(corpusPath('pcaps', 'http__bro.org.pcap'), copy);
    assert.deepEqual((await indexCaptures(db, [copy])).skipped, 1);
    const own = await Database.open(':memory:');
    try {
      const first = join(dir, 'a.pcap');
      copyFileSync(corpusPath('pcaps', 'wikipedia.trace'), first);
      await indexCaptures(own, [first]);
      const moved = join(dir, 'moved.pcap');
      renameSync(first, moved);
      assert.deepEqual((await indexCaptures(own, [moved])).skipped, 1);
      assert.deepEqual((await own.all('SELECT path FROM pcap.captures')).map(r => r.path), [moved]);
    } finally {
      own.close();
    }
  });
});

describe('zeek-arrow index on several threads', () => {
  it('one capture at a time or four at once: the same rows, capture ids in the order the files were given', async () => {
    const files = (await listCaptureFiles([corpusPath('pcaps')])).files;
    const dump = async (jobs: number) => {
      const db = await Database.open(':memory:');
      try {
        const summary = await indexCaptures(db, files, { jobs });
        const captures = await db.all(`SELECT * EXCLUDE (indexed_at) FROM pcap.captures ORDER BY capture_id`);
        const flows = await db.all(`SELECT md5(string_agg(flow_packets::VARCHAR, '|' ORDER BY capture_id, community_id, first_ts)) AS h,
          count(*) AS n FROM pcap.flow_packets`);
        assert.equal(captures.length, summary.captures);
        assert.equal(Number(flows[0].n), summary.flows);
        return { problems: summary.problems.map(problemText), captures: JSON.stringify(captures, (_, v) => typeof v === 'bigint' ? String(v) : v), flows };
      } finally {
        db.close();
      }
    };
    const one = await dump(1);
    const four = await dump(4);
    assert.deepEqual(four, one);
    assert.ok(Number(one.flows[0].n) > 800, 'the corpus has flows');
    assert.match(one.captures, new RegExp(`^\\[\\{"capture_id":1,"path":"${files[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  });
});

describe('zeek-arrow index: a scan thread that dies', () => {
  const tempDir = suiteTempDirs();
  it('fails that capture only, naming it; the next capture is scanned on a fresh thread', async () => {
    // 150,000 packets of 150,000 flows (raw IPv4, UDP): more flows than a scan thread with a 16 MB heap can hold.
    const dir = tempDir();
    const big = join(dir, 'many-flows.pcap');
    const n = 150000;
    const records: Buffer[] = [pcapHeader(0xa1b2c3d4, true, 65535, 228)];
    for (let i = 0; i < n; i++) {
      const ip = Buffer.alloc(28);
      ip.writeUInt8(0x45, 0);
      ip.writeUInt16BE(28, 2);
      ip.writeUInt8(64, 8);
      ip.writeUInt8(17, 9);
      ip.writeUInt32BE(0x0a000000 + i, 12);
      ip.writeUInt32BE(0x0a000001, 16);
      ip.writeUInt16BE(1024 + (i % 60000), 20);
      ip.writeUInt16BE(53, 22);
      ip.writeUInt16BE(8, 24);
      records.push(pcapRecord(true, 1700000000 + Math.floor(i / 1000), i % 1000, ip));
    }
    writeFileSync(big, Buffer.concat(records));
    const small = corpusPath('pcaps', 'http__bro.org.pcap');
    const pool = new ScanWorkers(1, { maxOldGenerationSizeMb: 16 });
    try {
      await assert.rejects(pool.scan(big), (e: Error) => e.message.startsWith(`${big}: the scan thread stopped: `));
      const scanned = await pool.scan(small);
      const row = readManifest(corpusPath('pcaps', 'MANIFEST.tsv')).find(r => r.file === 'http__bro.org.pcap')!;
      assert.equal(scanned.packets, Number(row.packets));
    } finally {
      await pool.close();
    }
    // With room enough, the same capture is whole: a flow per packet.
    const roomy = new ScanWorkers(1);
    try {
      const scanned = await roomy.scan(big);
      assert.deepEqual([scanned.packets, scanned.flows.flows], [n, n]);
    } finally {
      await roomy.close();
    }
  });
});

describe('zeek-arrow index with damaged files among good ones', () => {
  const tempDir = suiteTempDirs();
  let dir: string;
  let db: Database;
  let summary: IndexSummary;
  let cutAt: number;
  let recordsBeforeCut: number;
  let cutRecordLength: number;
  before(async () => {
    dir = tempDir();
    const good = readFileSync(corpusPath('pcaps', 'http__bro.org.pcap'));
    writeFileSync(join(dir, 'good.pcap'), good);
    // Cut inside the 101st record: the 100 before it stay.
    const { records } = await readRecords(corpusPath('pcaps', 'dce-rpc__mapi.pcap'));
    cutAt = records[100].offset;
    recordsBeforeCut = 100;
    cutRecordLength = 16 + records[100].caplen;
    writeFileSync(join(dir, 'cut.pcap'), readFileSync(corpusPath('pcaps', 'dce-rpc__mapi.pcap')).subarray(0, cutAt + 30));
    writeFileSync(join(dir, 'notes.pcap'), 'these are not packets\n');
    const gz = gzipSync(readFileSync(corpusPath('pcaps', 'wikipedia.trace')));
    writeFileSync(join(dir, 'cut.pcap.gz'), gz.subarray(0, gz.length - 200));
    db = await Database.open(':memory:');
    summary = await indexCaptures(db, (await listCaptureFiles([dir])).files);
  });
  after(() => db.close());

  it('says what is wrong where, and indexes the rest of each file and every other file', async () => {
    const text = summary.problems.map(problemText);
    assert.equal(text.length, 3, text.join('\n'));
    assert.equal(text[0], `cut.pcap error at ${cutAt}: file ends inside a packet record: 30 of ${cutRecordLength} bytes present`);
    assert.match(text[1], /^cut\.pcap\.gz error at \d+: gzip stream is damaged after \d+ decompressed bytes/);
    assert.equal(text[2], `notes.pcap error at 0: ${join(dir, 'notes.pcap')}: not a pcap or pcapng file (first bytes 74 68 65 73)`);
    const rows = await db.all('SELECT path, packets FROM pcap.captures ORDER BY path');
    const wikipedia = (await readRecords(corpusPath('pcaps', 'wikipedia.trace'))).records.length;
    const packets = Object.fromEntries(rows.map(r => [basename(String(r.path)), Number(r.packets)]));
    assert.equal(packets['good.pcap'], 751);
    assert.equal(packets['cut.pcap'], recordsBeforeCut);
    assert.ok(packets['cut.pcap.gz'] > 0 && packets['cut.pcap.gz'] < wikipedia, `${packets['cut.pcap.gz']} of ${wikipedia}`);
    assert.equal(packets['notes.pcap'], undefined);
  });

  it('the command prints the problems and exits non-zero, without a progress bar when no one watches', () => {
    const r = spawnSync('node', [join(REPO, 'bin', 'zeek-arrow.js'), 'index', dir, '--db', join(dir, 'cli.duckdb')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.deepEqual(r.stderr.trim().split('\n'), summary.problems.map(formatCaptureProblem));
    assert.equal(r.stdout, `indexed 3 captures, ${summary.packets} packets, ${summary.flows} flows (${(summary.bytes / 1048576).toFixed(1)} MiB); 0 already known\n`);
  });

  it('--jobs takes a whole number above 0, and says so otherwise', () => {
    const cli = (jobs: string) => spawnSync('node', [join(REPO, 'bin', 'zeek-arrow.js'), 'index', dir, '--db', join(dir, `jobs-${jobs}.duckdb`), '--jobs', jobs], { encoding: 'utf8' });
    const zero = cli('0');
    assert.equal(zero.status, 1);
    assert.match(zero.stderr, /option '-j, --jobs <n>' argument '0' is invalid\. not a whole number above 0/);
    const two = cli('2');
    assert.equal(two.status, 1); // the damaged files
    assert.equal(two.stdout, `indexed 3 captures, ${summary.packets} packets, ${summary.flows} flows (${(summary.bytes / 1048576).toFixed(1)} MiB); 0 already known\n`);
  });
});

/** Runs the CLI as the user nobody when the tests run as root (root reads what its mode forbids), else as is. */
function asUnprivileged(args: string[]): SpawnSyncReturns<string> {
  const node = ['node', join(REPO, 'bin', 'zeek-arrow.js'), ...args];
  // Root reads and writes whatever the modes say: the test drops to nobody with setpriv (util-linux), which it needs.
  if (process.getuid?.() === 0) assert.equal(spawnSync('setpriv', ['--version']).status, 0, 'setpriv (util-linux) is needed to run this test as root');
  const command = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  return spawnSync(command[0], command.slice(1), { encoding: 'utf8', timeout: 120_000 });
}

describe('zeek-arrow index: a capture that grew since it was indexed', () => {
  let dir: string;
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('supersedes its old entry: one capture at its path, every packet once, the old rows gone', async () => {
    dir = tempDir();
    const whole = readFileSync(corpusPath('pcaps', 'http__bro.org.pcap'));
    const { records } = await readRecords(corpusPath('pcaps', 'http__bro.org.pcap'));
    const live = join(dir, 'live.pcap');
    // A copy stopped inside its 400th record, as a capture being written or a partial copy is.
    writeFileSync(live, whole.subarray(0, records[400].offset + 10));
    const db = await Database.open(':memory:');
    try {
      await LogIngester.ingest(db, [corpusPath('zeek-logs', 'tsv', 'http__bro.org.pcap', 'conn.log')]);
      const first = await indexCaptures(db, [live]);
      assert.deepEqual([first.captures, first.packets], [1, 400]);
      const [old] = await db.all('SELECT capture_id FROM pcap.captures');
      appendFileSync(live, whole.subarray(records[400].offset + 10));
      const second = await indexCaptures(db, [live]);
      assert.deepEqual([second.captures, second.skipped, second.problems], [1, 0, []]);
      // MANIFEST.tsv: 751 packets; Zeek's conn.log: CRdT6w4PA64qWKmBk3 has orig_pkts + resp_pkts = 315.
      const captures = await db.all('SELECT capture_id, path, packets, sha256 FROM pcap.captures');
      assert.equal(captures.length, 1);
      assert.deepEqual([captures[0].path, captures[0].packets, captures[0].sha256], [live, 751n, sha256(whole)]);
      assert.notEqual(captures[0].capture_id, old.capture_id);
      const [orphans] = await db.all(`SELECT count(*) AS n FROM pcap.flow_packets WHERE capture_id NOT IN (SELECT capture_id FROM pcap.captures)`);
      assert.equal(orphans.n, 0n);
      const [conn] = await db.all(`SELECT count(*) AS n, count(DISTINCT "offset") AS offsets FROM conn_packets WHERE uid = 'CRdT6w4PA64qWKmBk3'`);
      assert.deepEqual([conn.n, conn.offsets], [315n, 315n]);
      const out = join(dir, 'out.pcap');
      assert.equal((await extractSessions(db, { uids: ['CRdT6w4PA64qWKmBk3'] }, out)).packets, 315);
      // Replaced by another capture under the same name: the same rule.
      copyFileSync(corpusPath('pcaps', 'wikipedia.trace'), live);
      await indexCaptures(db, [live]);
      assert.deepEqual((await db.all('SELECT path, packets FROM pcap.captures')).map(r => [r.path, r.packets]), [[live, 136n]]);
    } finally {
      db.close();
    }
  });
});

describe('zeek-arrow index: what it cannot read, named with the reason', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    chmodSync(dir, 0o777);
    copyFileSync(corpusPath('pcaps', 'wikipedia.trace'), join(dir, 'good.pcap'));
    chmodSync(join(dir, 'good.pcap'), 0o644);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a directory it may not read: permission denied, with its path; the rest is indexed', () => {
    const top = join(dir, 'top');
    const locked = join(top, 'locked');
    mkdirSync(locked, { recursive: true });
    copyFileSync(join(dir, 'good.pcap'), join(top, 'a.pcap'));
    chmodSync(top, 0o755);
    chmodSync(join(top, 'a.pcap'), 0o644);
    chmodSync(locked, 0);
    const r = asUnprivileged(['index', top, '--db', join(dir, 'locked.duckdb')]);
    chmodSync(locked, 0o755);
    assert.equal(r.stderr, `zeek-arrow: ${locked}: cannot read: EACCES: permission denied\n`);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^indexed 1 captures, 136 packets, /);
  });

  it('a path through a file: not a directory', () => {
    const through = join(dir, 'good.pcap', 'x');
    const r = spawnSync('node', [join(REPO, 'bin', 'zeek-arrow.js'), 'index', through, '--db', join(dir, 'through.duckdb')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `zeek-arrow: ${through}: cannot read: ENOTDIR: not a directory\n`);
  });

  it('a FIFO, named or in a directory: refused as not a regular file, without waiting on it', () => {
    const sub = join(dir, 'with-fifo');
    mkdirSync(sub);
    copyFileSync(join(dir, 'good.pcap'), join(sub, 'b.pcap'));
    const fifo = join(sub, 'live.pcap');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const named = spawnSync('node', [join(REPO, 'bin', 'zeek-arrow.js'), 'index', fifo, '--db', join(dir, 'fifo.duckdb')],
      { encoding: 'utf8', timeout: 60_000 });
    assert.equal(named.signal, null, 'index waited on the FIFO');
    assert.equal(named.stderr, `error: ${fifo} (byte 0): not a regular file (a FIFO): captures are read from files\n`);
    assert.equal(named.status, 1);
    const walked = spawnSync('node', [join(REPO, 'bin', 'zeek-arrow.js'), 'index', sub, '--db', join(dir, 'fifo-dir.duckdb')],
      { encoding: 'utf8', timeout: 60_000 });
    assert.equal(walked.signal, null, 'index waited on the FIFO');
    assert.equal(walked.stderr, `error: ${fifo} (byte 0): not a regular file (a FIFO): captures are read from files\n`);
    assert.match(walked.stdout, /^indexed 1 captures, 136 packets, /);
  });
});

describe('zeek-arrow index: a flow whose packets come out of file order', () => {
  let dir: string;
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a datagram's later fragments before its first: the flow's packets are stored in file order all the same", async () => {
    dir = tempDir();
    const a = [10, 0, 0, 1];
    const b = [10, 0, 0, 2];
    const ipv4 = (src: number[], dst: number[], id: number, flagsOffset: number, payload: Buffer) => {
      const header = Buffer.alloc(20);
      header.writeUInt8(0x45, 0);
      header.writeUInt16BE(20 + payload.length, 2);
      header.writeUInt16BE(id, 4);
      header.writeUInt16BE(flagsOffset, 6);
      header.writeUInt8(64, 8);
      header.writeUInt8(17, 9); // UDP
      Buffer.from(src).copy(header, 12);
      Buffer.from(dst).copy(header, 16);
      return Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x00]), header, payload]); // Ethernet, IPv4
    };
    const udp = (sport: number, dport: number, data: Buffer) => {
      const h = Buffer.alloc(8);
      h.writeUInt16BE(sport, 0);
      h.writeUInt16BE(dport, 2);
      h.writeUInt16BE(8 + data.length, 4);
      return Buffer.concat([h, data]);
    };
    const datagram = udp(1000, 53, Buffer.alloc(24, 0x7a)); // 32 bytes, sent in fragments of 8, 8 and 16
    const MORE = 0x2000;
    const packets = [
      ipv4(a, b, 1, 0, udp(1000, 53, Buffer.alloc(10))),
      ipv4(b, a, 2, 0, udp(53, 1000, Buffer.alloc(10))),
      ipv4(a, b, 7, 16 / 8, datagram.subarray(16)), // the last fragment, first
      ipv4(b, a, 3, 0, udp(53, 1000, Buffer.alloc(4))),
      ipv4(a, b, 7, MORE | (8 / 8), datagram.subarray(8, 16)),
      ipv4(a, b, 7, MORE, datagram.subarray(0, 8)), // the first fragment, with the ports: the flow is known only now
      ipv4(a, b, 4, 0, udp(1000, 53, Buffer.alloc(3))),
    ];
    // Record i at 1000 + i s and (7 - i) ms: the times go up with the offsets.
    const records = packets.map((p, i) => pcapRecord(true, 1000 + i, (7 - i) * 1000, p));
    const file = join(dir, 'out-of-order.pcap');
    writeFileSync(file, Buffer.concat([pcapHeader(0xa1b2c3d4, true, 65535, 1), ...records]));
    const offsets = records.map((_, i) => 24 + records.slice(0, i).reduce((n, r) => n + r.length, 0));
    const micros = records.map((_, i) => (1000 + i) * 1e6 + (7 - i) * 1000);
    const db = await Database.open(':memory:');
    try {
      const summary = await indexCaptures(db, [file]);
      assert.deepEqual([summary.packets, summary.flows, summary.problems], [7, 1, []]);
      const list = (values: unknown[]) => `[${values.join(', ')}]`;
      const rows = await db.all(`SELECT a_addr, b_addr, packets::INTEGER AS packets, first_offset::INTEGER AS first_offset,
        epoch_us(first_ts)::BIGINT::VARCHAR AS first, offset_deltas::VARCHAR AS offset_deltas, ts_deltas::VARCHAR AS ts_deltas,
        from_a::VARCHAR AS from_a, fragment::VARCHAR AS fragment FROM pcap.flow_packets`);
      assert.deepEqual(rows, [{
        a_addr: '10.0.0.1', b_addr: '10.0.0.2', packets: 7, first_offset: offsets[0], first: String(micros[0]),
        offset_deltas: list(offsets.map(o => o - offsets[0])), ts_deltas: list(micros.map(t => t - micros[0])),
        from_a: list([true, false, true, false, true, true, true]),
        // 1: the first fragment (Zeek's one packet of the reassembled datagram), 2: a later one.
        fragment: list([0, 0, 2, 0, 2, 1, 0]),
      }]);
    } finally {
      db.close();
    }
  });
});
