import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, corpusPath, tsvRecords } from './helpers/corpus';
import { removeDir, tempDir } from './helpers/logs';
import { describeWithZeek, runZeek } from './helpers/zeek';
import * as arrow from 'apache-arrow';
import { Database } from '../ts/duckdb/database';

const FIXTURES = join(REPO, 'test', 'fixtures');
const CLI = join(REPO, 'bin', 'zeek-arrow.js');

// Every type a reader gives, as Zeek's ASCII writer writes it: escapes, empty and unset sets, an unset optional.
const ITEMS_LOG = [
  '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\titems',
  '#open\t2026-01-01-00-00-00',
  '#fields\ti\tc\td\tt\tiv\tb\tp\tproto\ta\tsn\ts\te\tpat\tss\tvc\tsa\topt',
  '#types\tint\tcount\tdouble\ttime\tinterval\tbool\tport\tstring\taddr\tsubnet\tstring\tenum\tpattern\tset[string]\tvector[count]\tset[addr]\tstring',
  '1\t18446744073709551615\t3.25\t1258531200.123456\t86402.000005\tT\t80\ttcp\t192.168.1.1\t10.0.0.0/8\tgrüße, \\xff bytes\tInput::EVENT_NEW\t/^a.*b$/\tx,y\t1,2,3\t::1,1.2.3.4\t-',
  '-2\t0\t-0.5\t0.000000\t-1.000000\tF\t53\tudp\t2001:db8::1\t2001:db8::/32\tplain\tInput::EVENT_CHANGED\t/x/\t(empty)\t(empty)\t-\tset',
  '#close\t2026-01-01-00-00-01', '',
].join('\n');

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

async function makeDb(path: string, ...sql: string[]): Promise<void> {
  const db = await Database.open(path);
  for (const s of sql) await db.run(s);
  db.close();
}

const lines = (text: string) => text.split('\n').filter(l => l);

describeWithZeek('input readers in TypeScript: DuckDB, Parquet and Arrow IPC sources', zeek => {
  const work = tempDir();
  after(() => removeDir(work));
  const zeekIn = (dir: string, args: string[]) => {
    const r = runZeek(zeek, dir, ['-b', ...args]);
    assert.equal(r.status, 0, r.stderr);
    return r;
  };

  describe('every type, from each source, as Zeek holds it', () => {
    const dir = join(work, 'items');
    let ascii: string;

    before(() => {
      mkdirSync(dir);
      writeFileSync(join(dir, 'items.log'), ITEMS_LOG);
      cli(['ingest', join(dir, 'items.log'), '--db', join(dir, 'items.duckdb')]);
      cli(['export', '--db', join(dir, 'items.duckdb'), '--format', 'parquet', '--out', join(dir, 'parquet')]);
      cli(['export', '--db', join(dir, 'items.duckdb'), '--format', 'arrow', '--out', join(dir, 'arrow')]);
      ascii = zeekIn(dir, [join(FIXTURES, 'read-items.zeek'), 'ReadItems::source=items.log']).stdout;
    });

    it("Zeek's own ASCII reader gives the values written (the reference)", () => {
      assert.deepEqual(lines(ascii), [
        'event, Input::EVENT_NEW, 18446744073709551615, 3.25, 1258531200.123456, 1.0 day 2.0 secs 4.999994 usecs, T, 80/tcp, 192.168.1.1, 10.0.0.0/8, gr\\xc3\\xbc\\xc3\\x9fe, \\xff bytes, Input::EVENT_NEW, /^?(^a.*b$)$?/, [x, y], [1, 2, 3]',
        'event, Input::EVENT_NEW, 0, -0.5, 0.0, -1.0 sec, F, 53/udp, 2001:db8::1, 2001:db8::/32, plain, Input::EVENT_CHANGED, /^?(x)$?/, [], []',
        'table, -2, 0 -0.5 0.0 -1.0 sec F 53/udp 2001:db8::1 2001:db8::/32 plain Input::EVENT_CHANGED /^?(x)$?/ [] [] unset set',
        'table, 1, 18446744073709551615 3.25 1258531200.123456 1.0 day 2.0 secs 4.999994 usecs T 80/tcp 192.168.1.1 10.0.0.0/8 gr\\xc3\\xbc\\xc3\\x9fe, \\xff bytes Input::EVENT_NEW /^?(^a.*b$)$?/ [x, y] [1, 2, 3] [1.2.3.4, ::1] unset',
        'text, -2, plain',
        'text, 1, gr\\xc3\\xbc\\xc3\\x9fe, \\xff bytes',
      ]);
    });

    const sources: [string, string[]][] = [
      ['a DuckDB query', ['ReadItems::source=SELECT * FROM items', 'ReadItems::db=items.duckdb']],
      ['a Parquet file', ['ReadItems::source=parquet/items.parquet']],
      ['an Arrow IPC file', ['ReadItems::source=arrow/items.arrows']],
    ];
    for (const [name, args] of sources) {
      it(`${name} gives exactly what the ASCII reader gives, to tables (record and single value) and events`, () => {
        const r = zeekIn(dir, [join(FIXTURES, 'read-items.zeek'), 'ReadItems::reader=Input::READER_ARROW', ...args]);
        assert.equal(r.stdout, ascii);
        assert.doesNotMatch(r.stderr, /error|warning/i);
      });
    }
  });

  describe('REREAD and STREAM', () => {
    const follow = (name: string, args: string[], change: string) => {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'change.sh'), change);
      return lines(zeekIn(dir, [join(FIXTURES, 'follow-items.zeek'), 'Follow::change_script=change.sh', ...args]).stdout);
    };
    const first = [
      'change, 1, Input::EVENT_NEW, 1, a', 'change, 1, Input::EVENT_NEW, 2, b', 'row, 1, 1, a', 'row, 1, 2, b',
    ];

    it('REREAD picks up rows added, changed and deleted in the DuckDB table', async () => {
      const dir = join(work, 'reread-duckdb');
      mkdirSync(dir);
      await makeDb(join(dir, 't.duckdb'), `CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(i, s)`);
      const sql = `INSERT INTO t VALUES (3, 'c'); UPDATE t SET s = 'B' WHERE i = 2; DELETE FROM t WHERE i = 1`;
      const out = follow('reread-duckdb', ['Follow::source=SELECT * FROM t', 'Follow::db=t.duckdb'],
        `"${process.execPath}" "${CLI}" sql --db t.duckdb "${sql}" > /dev/null\n`);
      assert.deepEqual(out, [...first,
        'change, 2, Input::EVENT_CHANGED, 2, b', 'change, 2, Input::EVENT_NEW, 3, c', 'change, 2, Input::EVENT_REMOVED, 1, a',
        'row, 2, 2, B', 'row, 2, 3, c']);
    });

    it('REREAD waits for a writer that holds the DuckDB file after its commit, then reads the change', async () => {
      const dir = join(work, 'reread-held');
      mkdirSync(dir);
      await makeDb(join(dir, 't.duckdb'), `CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(i, s)`);
      // The commit lands in the write-ahead log (the reader sees the file change) and the writer keeps the file 2 s more.
      const writer = `const { DuckDBInstance } = require(${JSON.stringify(join(REPO, 'node_modules', '@duckdb', 'node-api'))});
        (async () => { const db = await DuckDBInstance.create('t.duckdb'); const c = await db.connect();
          await c.run("INSERT INTO t VALUES (3, 'c')"); await new Promise(r => setTimeout(r, 2000)); c.closeSync(); db.closeSync(); })();`;
      writeFileSync(join(dir, 'writer.js'), writer);
      const out = follow('reread-held', ['Follow::source=SELECT * FROM t', 'Follow::db=t.duckdb'],
        `"${process.execPath}" writer.js\n`);
      assert.deepEqual(out, [...first, 'change, 2, Input::EVENT_NEW, 3, c', 'row, 2, 1, a', 'row, 2, 2, b', 'row, 2, 3, c']);
    });

    it('REREAD picks up a Parquet file replaced by a new one', async () => {
      const dir = join(work, 'reread-parquet');
      mkdirSync(dir);
      await makeDb(':memory:',
        `COPY (SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(i, s)) TO '${join(dir, 't.parquet')}' (FORMAT parquet)`,
        `COPY (SELECT * FROM (VALUES (2, 'b'), (3, 'c')) v(i, s)) TO '${join(dir, 'next.parquet')}' (FORMAT parquet)`);
      const out = follow('reread-parquet', ['Follow::source=t.parquet'], 'cp next.parquet t.tmp && mv t.tmp t.parquet\n');
      assert.deepEqual(out, [...first,
        'change, 2, Input::EVENT_NEW, 3, c', 'change, 2, Input::EVENT_REMOVED, 1, a', 'row, 2, 2, b', 'row, 2, 3, c']);
    });

    it('STREAM delivers only the rows added to the DuckDB table', async () => {
      const dir = join(work, 'stream-duckdb');
      mkdirSync(dir);
      await makeDb(join(dir, 't.duckdb'), `CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(i, s)`);
      const out = follow('stream-duckdb', ['Follow::source=SELECT * FROM t', 'Follow::db=t.duckdb', 'Follow::mode=Input::STREAM'],
        `"${process.execPath}" "${CLI}" sql --db t.duckdb "INSERT INTO t VALUES (3, 'c'), (4, 'd')" > /dev/null\n`);
      assert.deepEqual(out, [...first,
        'change, 2, Input::EVENT_NEW, 3, c', 'change, 2, Input::EVENT_NEW, 4, d',
        'row, 2, 1, a', 'row, 2, 2, b', 'row, 2, 3, c', 'row, 2, 4, d']);
    });

    it('STREAM reads only the batches appended to an Arrow IPC stream file: each row arrives once, and bytes read before are not read again', () => {
      const dir = join(work, 'stream-arrow');
      mkdirSync(dir);
      const ipc = (i: bigint[], s: string[]) => arrow.tableToIPC(new arrow.Table({
        i: arrow.vectorFromArray(i, new arrow.Int64()), s: arrow.vectorFromArray(s, new arrow.Utf8()),
      }), 'stream');
      const schemaLength = (bytes: Uint8Array) => 8 + new DataView(bytes.buffer, bytes.byteOffset).getInt32(4, true);
      // A file still being written: the schema and one batch, no end-of-stream marker.
      const start = ipc([1n, 2n], ['a', 'b']);
      const written = start.subarray(0, start.length - 8);
      writeFileSync(join(dir, 't.arrows'), written);
      // One write: the batch already read becomes zeros (a reader reading the file again would stop there,
      // at what reads as the stream's end) and a batch of two new rows follows.
      const more = ipc([3n, 4n], ['c', 'd']);
      const firstBatch = written.length - schemaLength(start);
      writeFileSync(join(dir, 'patch.bin'), Buffer.concat([Buffer.alloc(firstBatch), more.subarray(schemaLength(more), more.length - 8)]));
      const out = follow('stream-arrow', ['Follow::source=t.arrows', 'Follow::mode=Input::STREAM'],
        `dd if=patch.bin of=t.arrows bs=$(stat -c %s patch.bin) count=1 seek=${schemaLength(start)} oflag=seek_bytes conv=notrunc 2>/dev/null\n`);
      assert.deepEqual(out, [...first,
        'change, 2, Input::EVENT_NEW, 3, c', 'change, 2, Input::EVENT_NEW, 4, d',
        'row, 2, 1, a', 'row, 2, 2, b', 'row, 2, 3, c', 'row, 2, 4, d']);
    });
  });

  it('a source larger than the reader lets wait for Zeek (300,000 rows) arrives whole, to a table and as a stream of events', async () => {
    const dir = join(work, 'large');
    mkdirSync(dir);
    const n = 300000;
    await makeDb(join(dir, 'big.duckdb'), `CREATE TABLE big AS SELECT range::UBIGINT AS id, 's' || range AS s FROM range(${n})`);
    const out = zeekIn(dir, [join(FIXTURES, 'count-rows.zeek'), 'Count::source=SELECT * FROM big', 'Count::db=big.duckdb']).stdout;
    const sum = n * (n - 1) / 2;
    assert.equal(out, `${n}, ${sum}, s${n - 1}, ${n}, ${sum}\n`);
  });

  it('a failing query, a missing file, a wrong column type and a missing column each get an error naming the stream, source and column; bad rows are skipped by number; Zeek carries on', async () => {
    const dir = join(work, 'bad');
    mkdirSync(dir);
    await makeDb(join(dir, 'b.duckdb'), `CREATE TABLE hosts AS SELECT 7 AS i, '192.0.2.7' AS a`);
    const r = zeekIn(dir, [join(FIXTURES, 'bad-sources.zeek'), 'BadSources::db=b.duckdb']);
    assert.deepEqual(lines(r.stdout).filter(l => !l.startsWith('end_of_data')),
      ['good, 7, 192.0.2.7', 'bad-rows, 1, 10.0.0.1', 'bad-rows, 4, 10.0.0.4']);
    for (const expected of [
      "Arrow reader for 'failing-query' (source 'SELECT i, a FROM no_such_table'): Error: Catalog Error: Table with name no_such_table does not exist!",
      "Arrow reader for 'missing-file' (source '/nonexistent/hosts.parquet'): Error: cannot read '/nonexistent/hosts.parquet': ENOENT",
      "Arrow reader for 'wrong-type' (source 'SELECT 'one' AS i, a FROM hosts'): Error: column 'i' is VARCHAR and cannot become the Zeek field's type int",
      "Arrow reader for 'missing-column' (source 'SELECT i FROM hosts'): Error: no column 'a' (the source has: i)",
      "row 2: column 'a' holds 'not-an-address', which is not a valid addr; row skipped",
      "row 3: column 'a' is NULL, but the field is not &optional; row skipped",
    ]) {
      assert.ok(r.stderr.includes(expected), `missing: ${expected}\n${r.stderr}`);
    }
  });

  for (const [given, env] of [['an array', {}], ['an async generator', { INVENTORY_ASYNC: '1' }]] as const) {
    it(`a user's reader module gives batches of its own Arrow types (as ${given}), converted to the fields' types`, () => {
      const dir = join(work, `module-${Object.keys(env).length}`);
      mkdirSync(dir);
      copyFileSync(join(FIXTURES, 'read-hosts.zeek'), join(dir, 'read-hosts.zeek'));
      const r = runZeek(zeek, dir, ['-b', 'read-hosts.zeek', `InputArrow::reader_module=${join(FIXTURES, 'inventory-reader.js')}`], env);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(lines(r.stdout), [
        '1, [a=10.0.0.1, seen=1700000001.5, names=[host-1, h1]]',
        '2, [a=10.0.0.2, seen=1700000003.0, names=[host-2, h2]]',
        '3, [a=10.0.0.3, seen=1700000004.5, names=[host-3, h3]]',
      ]);
    });
  }

  it('the Intel framework loads indicators from a DuckDB table and matches them in a corpus trace', async () => {
    const dir = join(work, 'intel');
    mkdirSync(dir);
    await makeDb(join(dir, 'intel.duckdb'), `CREATE TABLE indicators AS SELECT * FROM (VALUES
      ('192.150.187.43', 'Intel::ADDR', 'test-feed', 'bro.org web server'),
      ('bro.org', 'Intel::DOMAIN', 'test-feed', 'bro.org name'),
      ('203.0.113.9', 'Intel::ADDR', 'test-feed', 'never seen')) v(indicator, indicator_type, source, description)`);
    const r = runZeek(zeek, dir, ['-C', '-r', corpusPath('pcaps', 'http__bro.org.pcap'),
      join(FIXTURES, 'intel-from-duckdb.zeek'), `IntelFeed::db=${join(dir, 'intel.duckdb')}`]);
    assert.equal(r.status, 0, r.stderr);
    const hits = tsvRecords(join(dir, 'intel.log'));
    const count = (rows: Record<string, string>[], key: (r: Record<string, string>) => string) => {
      const m = new Map<string, number>();
      for (const row of rows) m.set(key(row), (m.get(key(row)) ?? 0) + 1);
      return [...m].sort();
    };
    // The trace's own logs (Zeek 8.0.10, corpus): every connection to the server, every request naming bro.org.
    const conns = tsvRecords(corpusPath('zeek-logs', 'tsv', 'http__bro.org.pcap', 'conn.log')).filter(c => c['id.resp_h'] === '192.150.187.43');
    const portOf = new Map(conns.map(c => [c.uid, c['id.orig_p']]));
    const requests = tsvRecords(corpusPath('zeek-logs', 'tsv', 'http__bro.org.pcap', 'http.log')).filter(h => h.host === 'bro.org');
    assert.equal(conns.length, 13);
    assert.equal(requests.length, 29);
    assert.deepEqual(count(hits.filter(h => h['seen.where'] === 'Conn::IN_RESP'), h => `${h['id.orig_p']} ${h['seen.indicator']}`),
      conns.map(c => [`${c['id.orig_p']} 192.150.187.43`, 1]).sort());
    assert.deepEqual(count(hits.filter(h => h['seen.where'] === 'HTTP::IN_HOST_HEADER'), h => `${h['id.orig_p']} ${h['seen.indicator']}`),
      count(requests, q => `${portOf.get(q.uid)} bro.org`));
    assert.equal(hits.length, 13 + 29);
    assert.ok(hits.every(h => h.sources === 'test-feed'));
  });
});
