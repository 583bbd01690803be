import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync,
  truncateSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogIngester } from '../ts/logs/ingest';
import { extractSessions } from '../ts/pcap/extract';
import { indexCaptures } from '../ts/pcap/indexer';
import { REPO, corpusPath } from './helpers/corpus';
import { suiteTempDirs, tempDir } from './helpers/logs';
import { epb, idb, obsoletePb, option, pcapHeader, pcapRecord, shb, spb } from './helpers/capture-files';
import { PacketRecord, capinfosCount, packetText, readManifest, readRecords, tcpdumpCount } from './helpers/captures';

/** A database with one trace's conn.log and the packet index of the given captures. */
async function database(trace: string, captures: string[]): Promise<Database> {
  const db = await Database.open(':memory:');
  await LogIngester.ingest(db, [corpusPath('zeek-logs', 'tsv', trace, 'conn.log')]);
  const summary = await indexCaptures(db, captures);
  assert.deepEqual(summary.problems.filter(p => p.severity === 'error'), []);
  return db;
}

/** The records at the offsets conn_packets gives for a uid, in the order extraction must write them. */
async function indexedRecords(db: Database, uid: string): Promise<PacketRecord[]> {
  const rows = await db.all(`SELECT file, "offset" FROM conn_packets WHERE uid = '${uid}'`);
  const byFile = new Map<string, PacketRecord[]>();
  const out: PacketRecord[] = [];
  for (const r of rows) {
    const file = String(r.file);
    if (!byFile.has(file)) byFile.set(file, (await readRecords(file)).records);
    out.push(byFile.get(file)!.find(p => p.offset === Number(r.offset))!);
  }
  return out;
}

/** Other readers agree: libpcap (tcpdump) where it can read the file, Wireshark's (capinfos) always. */
const checkWithTools = (file: string, packets: number, linkTypes = 1) => {
  if (linkTypes === 1) {
    const n = tcpdumpCount(file);
    if (n === undefined) console.log('      SKIP: tcpdump not installed, extracted file not checked with libpcap');
    else assert.equal(n, packets, `tcpdump reads ${n} packets from ${file}`);
  }
  const m = capinfosCount(file);
  if (m === undefined) console.log('      SKIP: capinfos (Wireshark) not installed, extracted file not checked with it');
  else assert.equal(m, packets, `capinfos reads ${m} packets from ${file}`);
};

describe('extract: sessions from the split set are the same as from the original capture', () => {
  const tempDir = suiteTempDirs();
  const manifest = readManifest(corpusPath('split', 'MANIFEST.tsv'));
  const originals = [...new Set(manifest.map(m => m.original_file))];
  let dir: string;
  before(() => { dir = tempDir(); });

  for (const original of originals) {
    it(`${original}: every conn, packet for packet, from ${manifest.filter(m => m.original_file === original).length} pieces with random names`, async () => {
      const pieces = manifest.filter(m => m.original_file === original).map(m => corpusPath('split', m.file));
      const fromPieces = await database(original, pieces);
      const fromOriginal = await database(original, [corpusPath('pcaps', original)]);
      try {
        const uids = (await fromOriginal.all('SELECT uid FROM conn ORDER BY uid')).map(r => String(r.uid));
        let crossing = 0;
        let packets = 0;
        for (const uid of uids) {
          const a = join(dir, `${uid}-pieces.pcap`);
          const b = join(dir, `${uid}-original.pcap`);
          const pieceSummary = await extractSessions(fromPieces, { uids: [uid] }, a);
          const originalSummary = await extractSessions(fromOriginal, { uids: [uid] }, b);
          if (pieceSummary.captures > 1) crossing++;
          const got = (await readRecords(a)).records.map(packetText);
          const want = (await readRecords(b)).records.map(packetText);
          assert.equal(got.length, originalSummary.packets, uid);
          assert.deepEqual(got, want, `${uid}: pieces and original differ`);
          // And the original's extraction is the packets the index lists for the conn, in time order.
          const listed = (await indexedRecords(fromOriginal, uid)).sort((x, y) => x.micros - y.micros || x.offset - y.offset);
          assert.deepEqual(want, listed.map(packetText), `${uid}: extraction is not the conn's packets`);
          assert.deepEqual(readFileSync(a), readFileSync(b), `${uid}: the files differ`);
          packets += got.length;
        }
        // CHECK.txt: 4 of 4 smb streams and 5 of 23 ssh streams cross a piece boundary.
        assert.equal(crossing, original.startsWith('smb') ? 4 : 5, 'sessions crossing pieces');
        assert.equal(packets, Number((await fromOriginal.all('SELECT count(*) AS n FROM conn_packets'))[0].n));
        for (const uid of uids) checkWithTools(join(dir, `${uid}-pieces.pcap`), (await readRecords(join(dir, `${uid}-pieces.pcap`))).records.length);
      } finally {
        fromPieces.close();
        fromOriginal.close();
      }
    });
  }
});

/** The flow with most packets in a capture, by Community ID. */
async function biggestFlow(db: Database, file: string): Promise<string> {
  const rows = await db.all(`SELECT community_id FROM pcap.flow_packets JOIN pcap.captures USING (capture_id)
    WHERE path LIKE '%/${file}' ORDER BY flow_packets.packets DESC, community_id LIMIT 1`);
  return String(rows[0].community_id);
}

/** The records of one flow in one capture, from the capture itself. */
async function flowRecords(db: Database, communityId: string): Promise<PacketRecord[]> {
  const rows = await db.all(`SELECT path, first_offset + unnest(offset_deltas) AS "offset" FROM pcap.flow_packets JOIN pcap.captures USING (capture_id)
    WHERE community_id = '${communityId}'`);
  const records = (await readRecords(String(rows[0].path))).records;
  return rows.map(r => records.find(p => p.offset === Number(r.offset))!);
}

describe('extract: the file format follows the sources', () => {
  const tempDir = suiteTempDirs();
  let dir: string;
  let db: Database;
  before(async () => {
    dir = tempDir();
    db = await Database.open(':memory:');
    await indexCaptures(db, ['tls__irc-starttls.pcap', 'http__bro.org.pcap', 'vntag.pcap', 'http__cooper-grill-dvwa.pcapng',
      'tls__tls-fragmented-handshake.pcap.gz', 'smb__dssetup_DsRoleGetPrimaryDomainInformation_standalone_workstation.cap']
      .map(name => corpusPath('pcaps', name)));
  });
  after(() => db.close());

  const extract = async (files: string[], name: string) => {
    const ids = await Promise.all(files.map(f => biggestFlow(db, f)));
    const out = join(dir, name);
    const summary = await extractSessions(db, { communityIds: ids }, out);
    const want = (await Promise.all(ids.map(id => flowRecords(db, id)))).flat()
      .sort((x, y) => x.micros - y.micros || x.nanos - y.nanos);
    const read = await readRecords(out);
    assert.deepEqual(read.problems, []);
    assert.deepEqual(read.records.map(packetText), want.map(packetText));
    assert.equal(summary.packets, want.length);
    // libpcap reads pcapng only when all its interfaces share one link type.
    checkWithTools(out, want.length, new Set(read.info.linkTypes).size);
    return { summary, info: read.info, bytes: readFileSync(out) };
  };

  it('one link type and resolution: pcap, records copied byte for byte', async () => {
    const { summary, info, bytes } = await extract(['http__bro.org.pcap'], 'ether.pcap');
    assert.equal(summary.format, 'pcap');
    assert.deepEqual([info.format, info.linkTypes, info.nanosecond], ['pcap', [1], false]);
    const source = readFileSync(corpusPath('pcaps', 'http__bro.org.pcap'));
    const id = await biggestFlow(db, 'http__bro.org.pcap');
    const rows = await db.all(`SELECT first_offset + unnest(offset_deltas) AS o FROM pcap.flow_packets WHERE community_id = '${id}'`);
    // Each record: its 16-byte header and caplen bytes, as in the source.
    const record = (o: number) => source.subarray(o, o + 16 + source.readUInt32LE(o + 8));
    assert.deepEqual(bytes.subarray(24), Buffer.concat(rows.map(r => record(Number(r.o)))));
  });

  it('a big-endian pcap stays big-endian, its records unchanged', async () => {
    const name = 'smb__dssetup_DsRoleGetPrimaryDomainInformation_standalone_workstation.cap';
    const { info, bytes } = await extract([name], 'big-endian.pcap');
    assert.deepEqual([info.format, info.littleEndian], ['pcap', false]);
    const source = readFileSync(corpusPath('pcaps', name));
    assert.deepEqual(bytes.subarray(0, 4), source.subarray(0, 4));
  });

  it('a gzip capture: records come from its decompressed stream', async () => {
    const { info, summary } = await extract(['tls__tls-fragmented-handshake.pcap.gz'], 'from-gzip.pcap');
    assert.deepEqual([info.format, info.gzip], ['pcap', false]);
    assert.ok(summary.packets > 100, `${summary.packets} packets`);
  });

  it('different link types: pcapng with an interface per source', async () => {
    const { summary, info } = await extract(['tls__irc-starttls.pcap', 'http__bro.org.pcap'], 'mixed-links.pcapng');
    assert.equal(summary.format, 'pcapng');
    assert.deepEqual([info.format, [...info.linkTypes].sort()], ['pcapng', [1, 113]]);
  });

  it('µs and ns resolutions: pcapng keeps every nanosecond', async () => {
    const { summary, info } = await extract(['vntag.pcap', 'http__bro.org.pcap'], 'mixed-resolution.pcapng');
    assert.equal(summary.format, 'pcapng');
    assert.deepEqual([info.format, info.nanosecond], ['pcapng', true]);
  });

  it('a pcapng source: pcapng, its packet blocks copied with their interface', async () => {
    const { summary, info } = await extract(['http__cooper-grill-dvwa.pcapng'], 'from-pcapng.pcapng');
    assert.equal(summary.format, 'pcapng');
    assert.deepEqual([info.format, info.linkTypes, info.nanosecond], ['pcapng', [1], true]);
  });

  it('a pcapng of two sections, the second big-endian, with enhanced, obsolete and simple packet blocks', async () => {
    // The first 7 packets of a TCP session of http__bro.org.pcap, spread over the sections and block kinds.
    const source = (await readRecords(corpusPath('pcaps', 'http__bro.org.pcap'))).records.slice(0, 7);
    const us = (r: PacketRecord) => BigInt(r.micros);
    const file = join(dir, 'sections.pcapng');
    writeFileSync(file, Buffer.concat([
      shb(true), idb(true, 1, 0),
      ...source.slice(0, 3).map(r => epb(true, 0, us(r), r.data, r.origlen)),
      shb(false), idb(false, 1, 0, option(false, 9, Buffer.from([9]))), idb(false, 1, 0),
      ...source.slice(3, 5).map(r => epb(false, 1, us(r), r.data, r.origlen)),
      obsoletePb(false, 0, 0, us(source[5]) * 1000n, source[5].data, source[5].origlen),
      // A simple packet block keeps the time of the packet before it (the reader's rule, and so the index's).
      spb(false, source[6].origlen, source[6].data),
    ]));
    const own = await Database.open(':memory:');
    const out = join(dir, 'from-sections.pcapng');
    let summary;
    try {
      assert.deepEqual((await indexCaptures(own, [file])).problems, []);
      const ids = (await own.all('SELECT community_id FROM pcap.flow_packets')).map(r => String(r.community_id));
      summary = await extractSessions(own, { communityIds: ids }, out);
    } finally {
      own.close();
    }
    const read = await readRecords(out);
    const expected = (await readRecords(file)).records;
    assert.equal(summary.packets, 7);
    assert.deepEqual(read.records.map(packetText), expected.map(packetText));
    assert.deepEqual(read.info.interfaces, [
      { linkType: 1, snaplen: 0, tsresol: 6, tsoffset: 0 }, { linkType: 1, snaplen: 0, tsresol: 6, tsoffset: 0 },
      { linkType: 1, snaplen: 0, tsresol: 9, tsoffset: 0 },
    ]);
    checkWithTools(out, 7);
  });

  it('nothing selected: no packets, an empty but valid pcap', async () => {
    const out = join(dir, 'none.pcap');
    const summary = await extractSessions(db, { communityIds: ['1:no-such-flow'] }, out);
    assert.deepEqual([summary.packets, summary.format], [0, 'pcap']);
    assert.equal((await readRecords(out)).records.length, 0);
  });
});

describe('extract: a capture gone or changed since it was indexed', () => {
  const tempDir = suiteTempDirs();
  let dir: string;
  let db: Database;
  const plain = 'http__bro.org.pcap';
  const gzip = 'tls__tls-fragmented-handshake.pcap.gz';
  before(async () => {
    dir = tempDir();
    for (const name of [plain, gzip]) copyFileSync(corpusPath('pcaps', name), join(dir, name));
    db = await Database.open(':memory:');
    assert.deepEqual((await indexCaptures(db, [join(dir, plain), join(dir, gzip)])).problems, []);
  });
  after(() => db.close());

  const flowIn = async (name: string) => {
    const rows = await db.all(`SELECT community_id, first_offset + offset_deltas[-1] AS last FROM pcap.flow_packets JOIN pcap.captures USING (capture_id)
      WHERE path = '${join(dir, name)}' ORDER BY flow_packets.packets DESC, community_id LIMIT 1`);
    return { id: String(rows[0].community_id), last: Number(rows[0].last) };
  };

  it('a plain capture cut short: the error names it, and its size now and when indexed', async () => {
    const { id, last } = await flowIn(plain);
    const size = statSync(join(dir, plain)).size;
    truncateSync(join(dir, plain), last + 10);
    await assert.rejects(extractSessions(db, { communityIds: [id] }, join(dir, 'out.pcap')),
      { message: `${join(dir, plain)}: changed since it was indexed (${last + 10} bytes, indexed at ${size}): index it again` });
  });

  it('a gzip capture cut short: the error names it, and its size now and when indexed', async () => {
    const { id } = await flowIn(gzip);
    const file = join(dir, gzip);
    const size = statSync(file).size;
    truncateSync(file, 5000);
    await assert.rejects(extractSessions(db, { communityIds: [id] }, join(dir, 'out.pcap')),
      { message: `${file}: changed since it was indexed (5000 bytes, indexed at ${size}): index it again` });
  });

  it('a gzip capture removed: the error names it, and the process does not fall over', async () => {
    const { id } = await flowIn(gzip);
    const file = join(dir, gzip);
    rmSync(file);
    await assert.rejects(extractSessions(db, { communityIds: [id] }, join(dir, 'out.pcap')),
      { message: `${file}: cannot read: ENOENT: no such file or directory, open '${file}'` });
  });
});

describe('extract: conn looked up through its indexes, not scanned', () => {
  const tempDir = suiteTempDirs();
  const traces = ['wikipedia.trace', 'tunnels__Teredo.pcap', 'var-services-std-ports.trace'];
  const connIndexes = async (db: Database) => (await db.all(`SELECT index_name FROM duckdb_indexes()
    WHERE table_name = 'conn' AND database_name = current_database() ORDER BY 1`)).map(r => String(r.index_name));
  const plan = async (db: Database, sql: string) => (await db.all(`EXPLAIN ANALYZE ${sql}`)).map(r => String(Object.values(r)[1])).join('\n');

  for (const trace of traces) {
    it(`${trace}: every conn, the same packets by index lookups, by scans, and by addresses when conn has no Community ID`, async () => {
      const dir = tempDir();
      const db = await database(trace, [corpusPath('pcaps', trace)]);
      try {
        assert.deepEqual(await connIndexes(db), ['conn_community_id', 'conn_uid']);
        const uids = (await db.all('SELECT uid FROM conn ORDER BY uid')).map(r => String(r.uid));
        const tcp = new Set((await db.all(`SELECT uid FROM conn WHERE proto = 'tcp'`)).map(r => String(r.uid)));
        const extractAll = async (label: string) => {
          const files: Buffer[] = [];
          let tcpPackets = 0;
          for (const uid of uids) {
            const out = join(dir, `${uid}-${label}.pcap`);
            const { packets } = await extractSessions(db, { uids: [uid] }, out);
            if (tcp.has(uid)) tcpPackets += packets;
            files.push(readFileSync(out));
          }
          // And all TCP conns at once (--where): their packets, each once.
          const out = join(dir, `tcp-${label}.pcap`);
          assert.equal((await extractSessions(db, { where: `proto = 'tcp'` }, out)).packets, tcpPackets);
          files.push(readFileSync(out));
          return files;
        };
        const byIndex = await extractAll('index');
        assert.ok(byIndex.some(f => f.length > 24), 'some conn has packets');
        await db.run('DROP INDEX conn_uid');
        await db.run('DROP INDEX conn_community_id');
        assert.deepEqual(await extractAll('scan'), byIndex);
        await db.run('ALTER TABLE conn DROP COLUMN community_id');
        assert.deepEqual(await extractAll('addresses'), byIndex);
      } finally {
        db.close();
      }
    });
  }

  it('a later conn.log with a new record field: the field is added to the indexed table, and the indexes stay', async () => {
    const dir = tempDir();
    const db = await database('wikipedia.trace', [corpusPath('pcaps', 'wikipedia.trace')]);
    try {
      // The same conns with id.vlan added after id.resp_p, as the vlan_fivetuple conn key would log it.
      const lines = readFileSync(corpusPath('zeek-logs', 'tsv', 'wikipedia.trace', 'conn.log'), 'utf8').split('\n');
      const at = lines.find(l => l.startsWith('#fields'))!.split('\t').indexOf('id.resp_p');
      const edited = lines.map(l => {
        if (l === '' || (l.startsWith('#') && !l.startsWith('#fields') && !l.startsWith('#types'))) return l;
        const f = l.split('\t');
        const header = l.startsWith('#');
        f.splice(header ? at + 1 : at, 0, l.startsWith('#fields') ? 'id.vlan' : header ? 'int' : '7'); // data has no '#fields' cell
        return f.join('\t');
      });
      const file = join(dir, 'conn.log');
      writeFileSync(file, edited.join('\n'));
      const summary = await LogIngester.ingest(db, [file]);
      assert.deepEqual(summary.problems, []);
      assert.deepEqual(await connIndexes(db), ['conn_community_id', 'conn_uid']);
      const [counts] = await db.all('SELECT count(*) AS conns, count(id.vlan) AS tagged, count(DISTINCT uid) AS uids FROM conn');
      assert.deepEqual([counts.conns, counts.tagged, counts.uids], [68n, 34n, 34n]);
    } finally {
      db.close();
    }
  });

  it('at 150,000 conns, a uid and a Community ID are found by index scans', async () => {
    const db = await database('wikipedia.trace', [corpusPath('pcaps', 'wikipedia.trace')]);
    try {
      await db.run(`INSERT INTO conn SELECT * EXCLUDE (i) REPLACE (uid || 'x' || i AS uid, community_id || 'x' || i AS community_id)
        FROM conn, range(1, 4412) r(i)`);
      const [conn] = await db.all(`SELECT count(*) AS n, any_value(uid) AS uid, any_value(community_id) AS id FROM conn`);
      assert.equal(conn.n, 150_008n);
      assert.match(await plan(db, `SELECT community_id FROM main.conn WHERE uid IN ('${conn.uid}')`), /Index Scan/);
      assert.match(await plan(db, `SELECT uid FROM main.conn WHERE community_id IN ('${conn.id}')`), /Index Scan/);
    } finally {
      db.close();
    }
  });
});

/** A database file with http__bro.org.pcap's conn.log and the index of a copy of the capture, both in `dir`. */
async function databaseFile(dir: string): Promise<{ db: string; capture: string }> {
  const capture = join(dir, 'bro.pcap');
  copyFileSync(corpusPath('pcaps', 'http__bro.org.pcap'), capture);
  chmodSync(capture, 0o644);
  const file = join(dir, 'logs.duckdb');
  const db = await Database.open(file);
  try {
    await LogIngester.ingest(db, [corpusPath('zeek-logs', 'tsv', 'http__bro.org.pcap', 'conn.log')]);
    assert.deepEqual((await indexCaptures(db, [capture])).problems, []);
  } finally {
    db.close();
  }
  return { db: file, capture };
}

const CLI = join(REPO, 'bin', 'zeek-arrow.js');
const cli = (...args: string[]) => spawnSync('node', [CLI, ...args], { encoding: 'utf8' });
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** Zeek's conn.log: the TCP conn of http__bro.org.pcap with most packets, and its orig_pkts + resp_pkts. */
const BIG_UID = 'CRdT6w4PA64qWKmBk3';
const BIG_PACKETS = 315;

describe('extract: never over what it reads, and whole or not at all', () => {
  let dir: string;
  let db: string;
  let capture: string;
  before(async () => { dir = tempDir(); ({ db, capture } = await databaseFile(dir)); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('-w onto the --db file: refused, the database as it was', () => {
    const before = digest(db);
    const r = cli('extract', '--db', db, '--uid', BIG_UID, '-w', db);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `zeek-arrow: refusing to write ${db}: it is the database ${db}, which extract reads\n`);
    assert.equal(digest(db), before);
    assert.match(cli('sql', '--db', db, 'SELECT count(*) AS n FROM conn', '--format', 'csv').stdout, /^n\n\d+\n$/);
  });

  it('-w onto an indexed capture, by its path, a symlink, a hard link or another spelling: refused, the capture as it was', async () => {
    const before = digest(capture);
    mkdirSync(join(dir, 'sub'));
    symlinkSync(capture, join(dir, 'link.pcap'));
    linkSync(capture, join(dir, 'hard.pcap'));
    const handle = await Database.open(db, { access_mode: 'read_only' });
    try {
      for (const out of [capture, join(dir, 'link.pcap'), join(dir, 'hard.pcap'), `${dir}/sub/../bro.pcap`, `${dir}//./bro.pcap`]) {
        await assert.rejects(extractSessions(handle, { uids: [BIG_UID] }, out),
          { message: `refusing to write ${out}: it is the indexed capture ${capture}, which extract reads` });
      }
    } finally {
      handle.close();
    }
    assert.equal(digest(capture), before);
    assert.deepEqual(readdirSync(dir).sort(), ['bro.pcap', 'hard.pcap', 'link.pcap', 'logs.duckdb', 'sub']);
  });

  it('onto a symlink to another file: the file it names gets the packets, the link stays', () => {
    const target = join(dir, 'target.pcap');
    writeFileSync(target, 'old');
    symlinkSync(target, join(dir, 'to-target.pcap'));
    const r = cli('extract', '--db', db, '--uid', BIG_UID, '-w', join(dir, 'to-target.pcap'));
    assert.equal(r.status, 0, r.stderr);
    assert.ok(lstatSync(join(dir, 'to-target.pcap')).isSymbolicLink());
    return readRecords(target).then(read => assert.equal(read.records.length, BIG_PACKETS));
  });

  it('-w /dev/stdout into a pipe: written in place, the packets on stdout', async () => {
    // Through cat: node's own stdout here would be a socket, which /dev/stdout cannot open.
    const r = spawnSync('bash', ['-c', 'set -o pipefail; node "$@" | cat', 'bash', CLI, 'extract', '--db', db, '--uid', BIG_UID, '-w', '/dev/stdout'],
      { maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, String(r.stderr));
    const piped = join(dir, 'piped.pcap');
    writeFileSync(piped, r.stdout);
    assert.equal((await readRecords(piped)).records.length, BIG_PACKETS);
    rmSync(piped);
  });

  it('a write that fails half way (file size limit): the old file stays as it was, and no temporary file is left', () => {
    const out = join(dir, 'limited', 'out.pcap');
    mkdirSync(join(dir, 'limited'));
    writeFileSync(out, 'the old file');
    // SIGXFSZ ignored: writing past the limit fails with EFBIG instead of killing the process.
    const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 4; exec node "$@"`, 'bash', CLI, 'extract', '--db', db, '--uid', BIG_UID, '-w', out],
      { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^zeek-arrow: cannot write ${out}: EFBIG: file too large`));
    assert.equal(readFileSync(out, 'utf8'), 'the old file');
    assert.deepEqual(readdirSync(join(dir, 'limited')), ['out.pcap']);
  });

  it('a failed extract (a capture gone) writes nothing', () => {
    const other = tempDir();
    try {
      const copy = join(other, 'copy.duckdb');
      copyFileSync(db, copy);
      const out = join(other, 'out.pcap');
      renameSync(capture, join(dir, 'away.pcap'));
      try {
        const r = cli('extract', '--db', copy, '--uid', BIG_UID, '-w', out);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, `zeek-arrow: ${capture}: cannot read: ENOENT: no such file or directory, open '${capture}'\n`);
      } finally {
        renameSync(join(dir, 'away.pcap'), capture);
      }
      assert.deepEqual(readdirSync(other), ['copy.duckdb']);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('extract --where: one condition on conn, and nothing else runs', () => {
  let dir: string;
  let db: string;
  before(async () => { dir = tempDir(); ({ db } = await databaseFile(dir)); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (label: string, where: (pwn: string) => string, reason: RegExp) => it(label, () => {
    const pwn = join(dir, `pwn-${label.replace(/\W+/g, '-')}.csv`);
    const out = join(dir, 'out.pcap');
    const r = cli('extract', '--db', db, '--where', where(pwn), '-w', out);
    assert.equal(r.status, 1);
    assert.match(r.stderr, reason);
    assert.equal(existsSync(pwn), false, `${pwn} was written`);
    assert.equal(existsSync(out), false);
  });
  const notOne = /^zeek-arrow: --where is not one SQL expression over conn: /;

  refused('statements after a closing parenthesis', pwn => `1=0); COPY (SELECT 'x') TO '${pwn}'; SELECT * FROM conn WHERE (1=1`, notOne);
  refused('a statement after a semicolon', pwn => `1=1; COPY (SELECT 'x') TO '${pwn}'`, notOne);
  refused('a semicolon at the end', () => `proto = 'tcp';`, notOne);
  refused('a line comment hiding the closing parenthesis', pwn => `1=1 --\n); COPY (SELECT 'x') TO '${pwn}'; SELECT 1 WHERE (1`, notOne);
  refused('a block comment left open', pwn => `1=1) /*; COPY (SELECT 'x') TO '${pwn}'; */ --`, notOne);
  refused('an unbalanced parenthesis', () => `1=0) OR (1=1`, notOne);
  refused('an unterminated string', pwn => `uid = '${pwn}`, notOne);
  refused('a UNION', () => `1=1 UNION ALL SELECT * FROM conn`, notOne);
  refused('an ORDER BY', () => `1=1 ORDER BY ts LIMIT 1`, notOne);
  refused('a GROUP BY', () => `1=1 GROUP BY ALL`, notOne);
  // One expression, but the table function runs only SELECTs: DuckDB refuses the COPY.
  refused('a COPY inside query()', pwn => `EXISTS (FROM query('COPY (SELECT 1) TO ''${pwn}'''))`, /Expected a single SELECT statement/);

  it('a condition with a comment, subqueries and casts: the same sessions as without the comment', () => {
    const plain = cli('extract', '--db', db, '--where', `proto = 'tcp' AND uid IN (SELECT uid FROM conn WHERE id.resp_p = 80)`, '-w', join(dir, 'a.pcap'));
    const commented = cli('extract', '--db', db, '--where', `proto = 'tcp' AND uid IN (SELECT uid FROM conn WHERE id.resp_p = 80) -- web`, '-w', join(dir, 'b.pcap'));
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(commented.status, 0, commented.stderr);
    assert.deepEqual(readFileSync(join(dir, 'b.pcap')), readFileSync(join(dir, 'a.pcap')));
    assert.ok(readFileSync(join(dir, 'a.pcap')).length > 24);
  });
});

describe('extract: a capture changed in place since it was indexed', () => {
  let dir: string;
  before(() => { dir = tempDir(); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the same size, other bytes (in its first MiB): refused before a record is read, naming the file', async () => {
    const { db, capture } = await databaseFile(dir);
    const bytes = readFileSync(capture);
    bytes[bytes.length >> 1] ^= 0xff; // a byte of some packet's payload
    writeFileSync(capture, bytes);
    const out = join(dir, 'out.pcap');
    const r = cli('extract', '--db', db, '--uid', BIG_UID, '-w', out);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `zeek-arrow: ${capture}: changed since it was indexed (same size, other bytes in its first or last MiB): index it again\n`);
    assert.equal(existsSync(out), false);
  });

  // 3,000 UDP packets of 1,000 bytes, a second apart, of two flows; packets 1500 and 1501 swapped in the file.
  const formats = {
    pcap: { header: pcapHeader(0xa1b2c3d4, true, 65535, 228), record: (s: number, ip: Buffer) => pcapRecord(true, s, 0, ip) },
    pcapng: { header: Buffer.concat([shb(true), idb(true, 228, 0)]), record: (s: number, ip: Buffer) => epb(true, 0, BigInt(s) * 1000000n, ip) },
  };
  for (const [format, { header, record }] of Object.entries(formats)) {
    it(`${format}: the same size, two records of 3 MiB swapped in the middle: the record read is not the one indexed`, async () => {
      const packet = (i: number) => {
        const ip = Buffer.alloc(1000);
        ip.writeUInt8(0x45, 0);
        ip.writeUInt16BE(1000, 2);
        ip.writeUInt8(64, 8);
        ip.writeUInt8(17, 9);
        ip.writeUInt32BE(0x0a000001, 12);
        ip.writeUInt32BE(0x0a000002, 16);
        ip.writeUInt16BE(i % 2 ? 2000 : 1000, 20);
        ip.writeUInt16BE(53, 22);
        ip.writeUInt16BE(980, 24);
        return record(1700000000 + i, ip);
      };
      const records = Array.from({ length: 3000 }, (_, i) => packet(i));
      const capture = join(dir, `long.${format}`);
      writeFileSync(capture, Buffer.concat([header, ...records]));
      const db = await Database.open(':memory:');
      try {
        assert.deepEqual((await indexCaptures(db, [capture])).problems, []);
        const [flow] = await db.all(`SELECT community_id FROM pcap.flow_packets WHERE a_port = 1000 OR b_port = 1000`);
        [records[1500], records[1501]] = [records[1501], records[1500]];
        writeFileSync(capture, Buffer.concat([header, ...records]));
        const at = header.length + 1500 * records[0].length;
        const out = join(dir, `long-out.${format}`);
        await assert.rejects(extractSessions(db, { communityIds: [String(flow.community_id)] }, out),
          { message: `${capture}: the record at byte ${at} is not the one indexed (time ${(1700000000 + 1501) * 1e6} µs, indexed ${(1700000000 + 1500) * 1e6} µs): the file changed since it was indexed; index it again` });
        assert.equal(existsSync(out), false);
      } finally {
        db.close();
      }
    });
  }
});

describe('extract: uids and Community IDs it does not know are named', () => {
  let dir: string;
  let db: string;
  before(async () => { dir = tempDir(); ({ db } = await databaseFile(dir)); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the known ones are written; the others are named, and the exit status says so', async () => {
    const out = join(dir, 'some.pcap');
    const r = cli('extract', '--db', db, '--uid', BIG_UID, 'Cnope1', 'Cnope2', '--community-id', '1:nope=', '-w', out);
    assert.equal(r.status, 1);
    assert.deepEqual(r.stderr.split('\n').slice(1), [
      `zeek-arrow: no conn with uid 'Cnope1', 'Cnope2' in ${db}`,
      `zeek-arrow: no packets indexed of Community ID '1:nope=' in ${db}`, '']);
    assert.equal((await readRecords(out)).records.length, BIG_PACKETS);
  });
});
