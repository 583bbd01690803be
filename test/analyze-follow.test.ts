import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogIngester } from '../ts/logs/ingest';
import { literal } from '../ts/schema/mapping';
import { clusterDifferences } from './helpers/cluster-compare';
import { readManifest } from './helpers/captures';
import { difference } from './helpers/compare';
import { REPO, corpusPath } from './helpers/corpus';
import { suiteTempDirs } from './helpers/logs';
import { describeWithZeek } from './helpers/zeek';

const CLI = join(REPO, 'bin', 'zeek-arrow.js');
const WRITER = join(__dirname, 'helpers', 'spool-writer.js');

/** The split pieces in the order a recorder writes them: by their first packet's time (MANIFEST.tsv). */
function piecesInTimeOrder(): string[] {
  return readManifest(corpusPath('split', 'MANIFEST.tsv'))
    .sort((a, b) => Number(a.first_ts) - Number(b.first_ts))
    .map(m => corpusPath('split', m.file));
}

/** The largest piece (MANIFEST.tsv: 914690 bytes): the one written slowly. */
const SLOW = '46b96b3651ac.pcap';

interface Run { child: ChildProcess; stdout: string; stderr: string; exit: Promise<{ status: number | null; signal: string | null }> }

/** ownGroup: the command leads a process group of its own, as a shell's foreground job does (a terminal's Ctrl-C
 * signals the whole group). */
function start(cwd: string, args: string[], command = CLI, ownGroup = false): Run {
  const child = spawn('node', [command, ...args], { cwd, detached: ownGroup });
  const run: Run = { child, stdout: '', stderr: '', exit: undefined! };
  child.stdout!.setEncoding('utf8').on('data', t => { run.stdout += t; });
  child.stderr!.setEncoding('utf8').on('data', t => { run.stderr += t; });
  run.exit = new Promise(resolve => child.once('close', (status, signal) => resolve({ status, signal })));
  return run;
}

function follow(dir: string, ...more: string[]): Run {
  return start(dir, ['analyze', '--follow', 'spool', '--db', 'follow.duckdb', '-C', '--settle', '0.5', '--status-every', '1', ...more]);
}

/** `hold`: after this many files the writer waits until the file `release` exists in `dir`. */
function writer(dir: string, pace: number, files: string[], hold?: number): Run {
  const holding = hold === undefined ? [] : ['--hold-after', String(hold), join(dir, 'release')];
  return start(dir, [join(dir, 'spool'), String(pace), SLOW, ...holding, ...files], WRITER);
}

/** `zeek-arrow sql` on the database the follow run holds, as CSV without its header. */
function sql(dir: string, query: string): string {
  const r = spawnSync('node', [CLI, 'sql', '--db', 'follow.duckdb', '--format', 'csv', query], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').slice(1).join('\n').trim();
}

/** Asks `query` through `zeek-arrow sql` until it answers `expected` (while the follow run goes on); returns how often it asked. */
async function until(dir: string, query: string, expected: string): Promise<number> {
  while (!existsSync(join(dir, 'follow.duckdb'))) await new Promise(r => setTimeout(r, 100));
  for (let asked = 1; ; asked++) {
    if (sql(dir, query) === expected) return asked;
    await new Promise(r => setTimeout(r, 250));
  }
}

const ANALYZED = 'SELECT count(*) FROM pcap.captures WHERE analyzed_by IS NOT NULL';

/** Child processes of `pid` (the follow run's Zeek). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter(p => /^\d+$/.test(p)).filter(p => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  }).map(Number);
}

/** The Zeek cluster node a process runs as (its CLUSTER_NODE). */
function nodeName(pid: number): string | undefined {
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return env.find(e => e.startsWith('CLUSTER_NODE='))?.slice('CLUSTER_NODE='.length);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeWithZeek('zeek-arrow analyze --follow: a spool a recorder fills, followed by one running Zeek', () => {
  const tempDir = suiteTempDirs();

  it('gives the rows a one-shot analyze of the same pieces gives; takes an older capture late; keeps the logs of a deleted one', async function () {
    this.timeout(1_800_000);
    const dir = tempDir();
    mkdirSync(join(dir, 'spool'));
    const pieces = piecesInTimeOrder();
    const run = follow(dir);
    const copying = writer(dir, 700, pieces);
    assert.deepEqual(await copying.exit, { status: 0, signal: null }, copying.stderr);
    // Each answer comes from `zeek-arrow sql` while the follow run holds the database between its commits.
    const asked = await until(dir, ANALYZED, '12');
    assert.ok(asked >= 1);
    run.child.kill('SIGTERM');
    assert.deepEqual(await run.exit, { status: 130, signal: null }, run.stderr);
    assert.match(run.stdout, /^stopped: analyzed 12 captures with Zeek [^:]*: conn 30, /);
    assert.match(run.stderr, /^following: \d+ captures analyzed \([\d.]+ MB\); lag [\d.]+ s of capture time, [\d.]+ MB in \d+ captures waiting$/m);
    assert.doesNotMatch(run.stderr, /error/); // (a "falling behind" warning may come on a busy machine)

    // The same pieces analyzed at once (one Zeek): the same rows, each conn with the same packets.
    const once = spawnSync('node', [CLI, 'analyze', '--no-progress', '-C', '--workers', '1', ...readdirSync(join(dir, 'spool')).map(f => join('spool', f)),
      '--db', 'once.duckdb'], { cwd: dir, encoding: 'utf8' });
    assert.equal(once.status, 0, once.stderr);
    assert.match(once.stdout, /^analyzed 12 captures with Zeek [^:]*: conn 30, .*; indexed 12 \(3245 packets, 46 flows\)/);
    const same = { conn: [0, 0], files: [0, 0], conn_packets: [0, 0] };
    assert.deepEqual(await clusterDifferences(dir, 'once.duckdb', 'follow.duckdb'), same);

    // Started again after a clean stop: nothing is fed again; an older capture copied in late is analyzed on its own.
    const again = follow(dir);
    const older = 'dce-rpc__mapi.pcap'; // pcaps/MANIFEST.tsv: 2003, before every piece
    copyFileSync(corpusPath('pcaps', older), join(dir, 'spool', older));
    // A capture of another link type (pcaps/MANIFEST.tsv: linux-sll) is analyzed on its own too.
    const sll = 'tls__irc-starttls.pcap';
    copyFileSync(corpusPath('pcaps', sll), join(dir, 'spool', sll));
    await until(dir, ANALYZED, '14');
    // A piece the recorder deletes: its logs stay, its index rows are marked gone, extract says so.
    const deleted = pieces[0];
    const uid = sql(dir, `SELECT min(uid) FROM conn_packets WHERE file LIKE '%${deleted.slice(-17)}'`);
    unlinkSync(join(dir, 'spool', deleted.slice(-17)));
    await until(dir, 'SELECT count(*) FROM pcap.captures WHERE gone_at IS NOT NULL', '1');
    again.child.kill('SIGTERM');
    assert.deepEqual(await again.exit, { status: 130, signal: null }, again.stderr);
    assert.match(again.stdout, /^stopped: analyzed 2 captures with Zeek [^:]*: conn \d+/);
    assert.doesNotMatch(again.stderr, /restarted/);
    assert.match(again.stderr, new RegExp(`spool/${older}: its packets go back before the stream's: analyzed by a Zeek of its own`));
    assert.match(again.stderr, new RegExp(`spool/${sll}: its link type \\(113\\) is not the stream's \\(Ethernet\\): analyzed by a Zeek of its own`));
    assert.match(again.stderr, new RegExp(`spool/${deleted.slice(-17)}: no longer in the spool: its logs are kept, its index rows are marked gone`));
    assert.equal(sql(dir, `SELECT count(*) FROM pcap.captures WHERE gone_at IS NOT NULL AND path LIKE '%${deleted.slice(-17)}'`), '1');

    const extract = spawnSync('node', [CLI, 'extract', '--db', 'follow.duckdb', '--uid', uid, '-w', 'out.pcap'], { cwd: dir, encoding: 'utf8' });
    assert.equal(extract.status, 1);
    assert.match(extract.stderr, new RegExp(`${deleted.slice(-17)}: no longer on disk \\(deleted from its spool, seen gone at [^)]+\\): its packets cannot be extracted; its logs are kept`));

    const db = await Database.open(join(dir, 'check.duckdb'));
    try {
      // The older capture's conn is Zeek's own (corpus/zeek-logs), and the deleted piece's conns are still there.
      await LogIngester.ingest(db, [corpusPath('zeek-logs', 'tsv', older, 'conn.log')]);
      await db.run(`ATTACH ${literal(join(dir, 'follow.duckdb'))} AS f (READ_ONLY)`);
      assert.deepEqual(await difference(db, 'SELECT * EXCLUDE (uid) FROM conn',
        `SELECT * EXCLUDE (uid) FROM f.conn WHERE uid IN (SELECT uid FROM f.conn_packets WHERE file LIKE '%${older}')`), [0, 0]);
      const kept = await db.all(`SELECT count(*) AS n FROM f.conn WHERE uid = ${literal(uid)}`);
      assert.equal(Number(kept[0].n), 1);
    } finally {
      db.close();
    }
    // The linux-sll capture's conns and ssl are Zeek's own too.
    const sllDb = await Database.open(join(dir, 'check-sll.duckdb'));
    try {
      await LogIngester.ingest(sllDb, [corpusPath('zeek-logs', 'tsv', sll, 'conn.log'), corpusPath('zeek-logs', 'tsv', sll, 'ssl.log')]);
      await sllDb.run(`ATTACH ${literal(join(dir, 'follow.duckdb'))} AS f (READ_ONLY)`);
      assert.deepEqual(await difference(sllDb, 'SELECT * EXCLUDE (uid) FROM conn',
        `SELECT * EXCLUDE (uid) FROM f.conn WHERE uid IN (SELECT uid FROM f.conn_packets WHERE file LIKE '%${sll}')`), [0, 0]);
      assert.deepEqual(await difference(sllDb, 'SELECT * EXCLUDE (uid) FROM ssl',
        `SELECT * EXCLUDE (uid) FROM f.ssl WHERE uid IN (SELECT uid FROM f.conn_packets WHERE file LIKE '%${sll}')`), [0, 0]);
      const rows = await sllDb.all('SELECT (SELECT count(*) FROM conn) AS conns, (SELECT count(*) FROM ssl) AS ssl');
      assert.deepEqual(rows.map(r => [Number(r.conns), Number(r.ssl)]), [[1, 1]]); // Zeek's own conn.log and ssl.log: one row each
    } finally {
      sllDb.close();
    }
  });

  it("--workers 2: Zeek's cluster, each packet to the worker of its address pair; the rows of a one-shot analyze by one Zeek", async function () {
    this.timeout(1_800_000);
    const dir = tempDir();
    mkdirSync(join(dir, 'spool'));
    const run = follow(dir, '--workers', '2');
    const copying = writer(dir, 700, piecesInTimeOrder());
    assert.deepEqual(await copying.exit, { status: 0, signal: null }, copying.stderr);
    await until(dir, ANALYZED, '12');
    // The cluster of analyze --workers 2 (ts/zeek/cluster-layout.ts).
    assert.deepEqual(childrenOf(run.child.pid!).map(nodeName).sort(), ['logger', 'manager', 'proxy', 'worker-1', 'worker-2']);
    run.child.kill('SIGTERM');
    assert.deepEqual(await run.exit, { status: 130, signal: null }, run.stderr);
    // packet_filter: each worker logs its own filter as it starts.
    assert.match(run.stdout, /^stopped: analyzed 12 captures with Zeek [^:]*: conn 30, .*packet_filter 2, /);
    assert.doesNotMatch(run.stderr, /error/); // (a "falling behind" warning may come on a busy machine)
    const once = spawnSync('node', [CLI, 'analyze', '--no-progress', '-C', '--workers', '1', 'spool', '--db', 'once.duckdb'], { cwd: dir, encoding: 'utf8' });
    assert.equal(once.status, 0, once.stderr);
    assert.deepEqual(await clusterDifferences(dir, 'once.duckdb', 'follow.duckdb'), { conn: [0, 0], files: [0, 0], conn_packets: [0, 0] });
  });

  it('--workers 2 and Ctrl-C at a terminal (SIGINT to the whole process group): stopped by zeek-arrow, every piece committed, no node left', async function () {
    this.timeout(1_800_000);
    const dir = tempDir();
    mkdirSync(join(dir, 'spool'));
    for (const piece of piecesInTimeOrder()) copyFileSync(piece, join(dir, 'spool', piece.split('/').pop()!));
    const run = start(dir, ['analyze', '--follow', 'spool', '--db', 'follow.duckdb', '-C', '--settle', '0.5', '--workers', '2'], CLI, true);
    await until(dir, ANALYZED, '12');
    const nodes = childrenOf(run.child.pid!);
    assert.equal(nodes.length, 5, 'manager, logger, proxy, 2 workers');
    process.kill(-run.child.pid!, 'SIGINT');
    assert.deepEqual(await run.exit, { status: 130, signal: null }, run.stderr);
    // Before the nodes had sessions of their own, the manager took the terminal's SIGINT as its end: "exited early".
    assert.match(run.stdout, /^stopped: analyzed 12 captures with Zeek [^:]*: conn 30, /);
    assert.doesNotMatch(run.stderr, /error|exited early|died/);
    assert.equal(sql(dir, 'SELECT count(*) FROM conn'), '30');
    for (const pid of nodes) assert.ok(!alive(pid), `node ${pid} still runs`);
  });

  // Where the kill lands decides what the restart must leave out: after the first commit (no conn logged yet: the
  // ssh trace's conns end later), and after the ssh pieces (their conns committed; the replay logs them again before
  // its marker, while the conn writer of the new Zeek may start only after the marker is handled). Each kill lands
  // in the batch then under way.
  for (const [killAfter, workers] of [[1, 1], [6, 1], [6, 2]]) {
    it(`kill -9 after ${killAfter} piece${killAfter === 1 ? '' : 's'} (--workers ${workers}) and a restart: every piece analyzed once, no row twice, none missing`, async function () {
      this.timeout(1_800_000);
      const dir = tempDir();
      mkdirSync(join(dir, 'spool'));
      const pieces = piecesInTimeOrder();
      const first = follow(dir, '--workers', String(workers));
      // The piece after the kill's is copied and may be under way; the rest wait until the kill is done.
      const copying = writer(dir, 1000, pieces, killAfter + 1);
      await until(dir, `SELECT count(*) >= ${killAfter} FROM pcap.captures WHERE analyzed_by IS NOT NULL`, 'true');
      const zeeks = childrenOf(first.child.pid!);
      first.child.kill('SIGKILL');
      assert.equal((await first.exit).signal, 'SIGKILL');
      // Its Zeek reads the end of its stdin and exits by itself (a cluster's nodes see zeek-arrow gone: follow.zeek).
      while (zeeks.some(alive)) await new Promise(r => setTimeout(r, 100));
      const analyzedBefore = Number(sql(dir, ANALYZED));
      assert.ok(analyzedBefore >= killAfter && analyzedBefore <= killAfter + 1, `${analyzedBefore} analyzed before the kill`);
      writeFileSync(join(dir, 'release'), '');
      // After the ssh pieces, conns were committed that the replay logs again.
      if (killAfter === 6) assert.notEqual(sql(dir, 'SELECT count(*) FROM conn'), '0');

      // Restarted with a replay window over every piece: sessions open at the kill are whole again.
      const second = follow(dir, '--workers', String(workers), '--replay', '1000000000');
      assert.deepEqual(await copying.exit, { status: 0, signal: null }, copying.stderr);
      await until(dir, ANALYZED, '12');
      second.child.kill('SIGTERM');
      assert.deepEqual(await second.exit, { status: 130, signal: null }, second.stderr);
      assert.match(second.stderr, /^restarted: \d+ captures? fed to Zeek again up to where it stopped/m);
      assert.match(second.stdout, new RegExp(`^stopped: analyzed ${12 - analyzedBefore} captures with Zeek `));
      assert.equal(sql(dir, 'SELECT count(*), count(DISTINCT fingerprint) FROM pcap.followed'), '12,12');
      assert.equal(sql(dir, 'SELECT count(*), sum(packets) FROM pcap.captures'), '12,3245');

      const once = spawnSync('node', [CLI, 'analyze', '--no-progress', '-C', '--workers', '1', 'spool', '--db', 'once.duckdb'], { cwd: dir, encoding: 'utf8' });
      assert.equal(once.status, 0, once.stderr);
      assert.deepEqual(await clusterDifferences(dir, 'once.duckdb', 'follow.duckdb'), { conn: [0, 0], files: [0, 0], conn_packets: [0, 0] });
    });
  }
});
