import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogIngester } from '../ts/logs/ingest';
import { literal } from '../ts/schema/mapping';
import { REPO, corpusPath } from './helpers/corpus';
import { difference } from './helpers/compare';
import { suiteTempDirs } from './helpers/logs';
import { readManifest } from './helpers/captures';
import { describeWithZeek } from './helpers/zeek';

const CLI = join(REPO, 'bin', 'zeek-arrow.js');

function analyze(dir: string, db: string, ...args: string[]) {
  return spawnSync('node', [CLI, 'analyze', ...args, '--db', db], { cwd: dir, encoding: 'utf8', timeout: 600_000 });
}

/** conn as Zeek's own ASCII logs of the same traces have it (corpus/zeek-logs), compared without uids. */
async function connDifference(db: Database, traces: string[]): Promise<[number, number]> {
  await LogIngester.ingest(db, traces.map(t => corpusPath('zeek-logs', 'tsv', t, 'conn.log')));
  await db.run('ALTER TABLE conn RENAME TO ascii_conn');
  await db.run(`ATTACH ${literal(join(db.path, '..', 'analyzed.duckdb'))} AS analyzed (READ_ONLY)`);
  return difference(db, 'SELECT * EXCLUDE (uid) FROM ascii_conn', 'SELECT * EXCLUDE (uid) FROM analyzed.conn');
}

/** Conns whose packets in conn_packets are not orig_pkts and resp_pkts. */
async function miscounted(db: Database): Promise<number> {
  const rows = await db.all(`SELECT count(*) AS n FROM analyzed.conn c LEFT JOIN (
      SELECT uid, count(*) FILTER (direction = 'orig') AS o, count(*) FILTER (direction = 'resp') AS r
      FROM analyzed.conn_packets WHERE fragment IS NULL OR fragment = 'first' GROUP BY uid) p USING (uid)
    WHERE c.orig_pkts IS DISTINCT FROM coalesce(p.o, 0) OR c.resp_pkts IS DISTINCT FROM coalesce(p.r, 0)`);
  return Number(rows[0].n);
}

describeWithZeek('zeek-arrow analyze: Zeek and the packet index into one database', () => {
  const tempDir = suiteTempDirs();
  it('the split set: one stream in time order, so sessions crossing pieces are whole, and conn joins its packets', async () => {
    const dir = tempDir();
    const run = analyze(dir, 'analyzed.duckdb', '-C', corpusPath('split'));
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^analyzed 12 captures with Zeek .*: conn 30, .*; indexed 12 \(3245 packets, 46 flows\); 0 already analyzed\n$/);
    const db = await Database.open(join(dir, 'check.duckdb'));
    try {
      const originals = [...new Set(readManifest(corpusPath('split', 'MANIFEST.tsv')).map(m => m.original_file))];
      assert.deepEqual(await connDifference(db, originals), [0, 0], 'conn differs from Zeek\'s on the original traces');
      assert.equal(await miscounted(db), 0);
      const crossing = await db.all(`SELECT count(*) AS n FROM (SELECT uid FROM analyzed.conn_packets GROUP BY uid HAVING count(DISTINCT file) > 1)`);
      assert.equal(Number(crossing[0].n), 9); // CHECK.txt: 4 smb and 5 ssh sessions cross pieces
      const marked = await db.all(`SELECT count(*) AS n FROM analyzed.pcap.captures WHERE analyzed_by LIKE 'Zeek %'`);
      assert.equal(Number(marked[0].n), 12);
    } finally {
      db.close();
    }
    const again = analyze(dir, 'analyzed.duckdb', '-C', corpusPath('split'));
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^analyzed 0 captures .*: no log rows; indexed 0 \(0 packets, 0 flows\); 12 already analyzed\n$/);
  });

  it('captures of different link types: Zeek reads each on its own; a file that is no capture is named, the rest analyzed', async () => {
    const dir = tempDir();
    const traces = ['http__bro.org.pcap', 'tls__irc-starttls.pcap'];
    for (const t of traces) copyFileSync(corpusPath('pcaps', t), join(dir, t));
    writeFileSync(join(dir, 'notes.pcap'), 'not packets\n');
    const run = analyze(dir, 'analyzed.duckdb', '-C', ...traces, 'notes.pcap');
    assert.equal(run.status, 1);
    assert.equal(run.stderr, `error: notes.pcap (byte 0): notes.pcap: not a pcap or pcapng file (first bytes 6e 6f 74 20)\n`);
    assert.match(run.stdout, /^analyzed 2 captures with Zeek .*; indexed 2 \(771 packets, \d+ flows\); 0 already analyzed\n$/);
    const db = await Database.open(join(dir, 'check.duckdb'));
    try {
      assert.deepEqual(await connDifference(db, traces), [0, 0]);
      assert.equal(await miscounted(db), 0);
    } finally {
      db.close();
    }
  });

  it('a gzipped capture read by a Zeek of its own (other link types beside it): Zeek gets it decompressed', async () => {
    const dir = tempDir();
    const traces = ['tls__tls-fragmented-handshake.pcap.gz', 'tls__irc-starttls.pcap'];
    for (const t of traces) copyFileSync(corpusPath('pcaps', t), join(dir, t));
    const run = analyze(dir, 'analyzed.duckdb', '-C', '--workers', '1', ...traces);
    assert.equal(run.stderr, '');
    assert.equal(run.status, 0);
    assert.match(run.stdout, /^analyzed 2 captures with Zeek /);
    const db = await Database.open(join(dir, 'check.duckdb'));
    try {
      assert.deepEqual(await connDifference(db, traces), [0, 0]);
      assert.equal(await miscounted(db), 0);
    } finally {
      db.close();
    }
  });

  it('a capture indexed before (zeek-arrow index) is analyzed, not indexed again', async () => {
    const dir = tempDir();
    copyFileSync(corpusPath('pcaps', 'wikipedia.trace'), join(dir, 'wikipedia.trace'));
    const index = spawnSync('node', [CLI, 'index', 'wikipedia.trace', '--db', 'analyzed.duckdb'], { cwd: dir, encoding: 'utf8' });
    assert.equal(index.status, 0, index.stderr);
    const run = analyze(dir, 'analyzed.duckdb', '-C', 'wikipedia.trace');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^analyzed 1 captures with Zeek .*: conn \d+, .*; indexed 0 \(0 packets, 0 flows\); 0 already analyzed\n$/);
    const db = await Database.open(join(dir, 'check.duckdb'));
    try {
      assert.deepEqual(await connDifference(db, ['wikipedia.trace']), [0, 0]);
      assert.equal(await miscounted(db), 0);
    } finally {
      db.close();
    }
  });
});
