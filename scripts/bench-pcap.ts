// Packet index benchmark, against tcpdump in the same run, on captures built
// from the corpus (scripts/build-big-capture.ts) at each size asked for, and on
// one of small packets (~375 bytes, --small: the index's size is per packet):
//  - index throughput: `zeek-arrow index` next to `tcpdump -r f -w /dev/null`;
//  - index size ÷ capture size, beside the index as zeek-arrow kept it before (an ART index on community_id);
//  - one session's extraction: extractSessions() inside the process (beside the index before, interleaved), the whole
//    `zeek-arrow extract` command, and `tcpdump -r f -w out '<its 5-tuple>'`,
//    from the page cache and from disk (the capture's pages evicted first);
//  - the largest capture cut into 128 MiB pieces: indexed at once on every core,
//    next to tcpdump over the pieces one after another and one per core;
//  - extraction by uid when conn has millions of rows (--conns), with conn's indexes and without.
// The session comes from conn.log of a Zeek run over the capture when Zeek is
// here (Community ID logged), else from the index alone (--community-id).
//
//   node dist/scripts/bench-pcap.js [--sizes 512M,2G] [--small 300M] [--dir D] [--runs N] [--conns 10M]
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';
import { Database } from '../ts/duckdb/database';
import { SessionSelection, extractSessions } from '../ts/pcap/extract';
import { ensureConnPacketsView } from '../ts/pcap/conn-packets';
import { fingerprint } from '../ts/pcap/fingerprint';
import { readCapture } from '../ts/pcap/capture-reader';
import { findZeek } from '../ts/zeek/find-zeek';
import { CaptureKind, buildBigCapture, cutIntoPieces, parseSize } from './build-big-capture';
import { median } from './bench-util';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'zeek-arrow.js');

/** A capture store's files are 100-200 MB. */
const PIECE = 128 << 20;



/**
 * Drops one file's pages from the page cache (GNU dd: count=0 with nocache discards them all), so it is read from
 * disk as a capture store's files are, while programs and the index stay in memory; false if it cannot.
 */
function evict(file: string): boolean {
  return spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' }).status === 0;
}

/** Seconds a command takes (it must succeed). */
function time(command: string, args: string[], options: { cwd?: string } = {}): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: options.cwd, maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${String(r.stderr).slice(0, 2000)}`);
  return seconds;
}

function sql(db: string, query: string): string[][] {
  const out = execFileSync('node', [CLI, 'sql', '--db', db, query, '--format', 'csv'], { encoding: 'utf8' });
  return out.trim().split('\n').slice(1).map(l => l.split(','));
}

async function countPackets(file: string): Promise<number> {
  let n = 0;
  await readCapture(file, () => { n++; });
  return n;
}

interface Session { select: string[]; filter: string; label: string }

/** A TCP session from the middle of the capture: by uid from Zeek's conn.log, or by Community ID from the index. */
function chooseSession(db: string, dir: string, capture: string): Session {
  const zeek = findZeek();
  if (zeek) {
    const logs = join(dir, `zeek-${basename(capture, '.pcap')}`);
    if (!existsSync(join(logs, 'conn.log'))) {
      rmSync(logs, { recursive: true, force: true });
      mkdirSync(logs, { recursive: true });
      process.stdout.write(`  running Zeek ${zeek.version} over the capture for its conn.log ...\n`);
      time(zeek.zeek, ['-r', capture, 'policy/protocols/conn/community-id-logging', 'Log::default_writer=Log::WRITER_ASCII'], { cwd: logs });
    }
    execFileSync('node', [CLI, 'ingest', join(logs, 'conn.log'), '--db', db, '--quiet']);
    const [[uid, a, p, b, q]] = sql(db, `SELECT uid, id.orig_h, id.orig_p, id.resp_h, id.resp_p FROM conn
      WHERE proto = 'tcp' AND orig_pkts + resp_pkts BETWEEN 20 AND 2000
      ORDER BY ts LIMIT 1 OFFSET (SELECT count(*) // 2 FROM conn WHERE proto = 'tcp' AND orig_pkts + resp_pkts BETWEEN 20 AND 2000)`);
    return { select: ['--uid', uid], filter: `tcp and host ${a} and host ${b} and port ${p} and port ${q}`, label: `conn ${uid}` };
  }
  process.stdout.write('  no Zeek here: the session is chosen from the index by Community ID\n');
  const [[id, a, p, b, q]] = sql(db, `SELECT community_id, a_addr, a_port, b_addr, b_port FROM pcap.flow_packets
    WHERE proto = 6 AND packets BETWEEN 20 AND 2000 ORDER BY first_ts
    LIMIT 1 OFFSET (SELECT count(*) // 2 FROM pcap.flow_packets WHERE proto = 6 AND packets BETWEEN 20 AND 2000)`);
  return { select: ['--community-id', id], filter: `tcp and host ${a} and host ${b} and port ${p} and port ${q}`, label: `flow ${id}` };
}

async function benchSize(size: number, dir: string, runs: number, kind: CaptureKind = 'all'): Promise<{ report: string[]; session: Session }> {
  const capture = join(dir, kind === 'all' ? `big-${size}.pcap` : `big-${kind}-${size}.pcap`);
  if (!existsSync(capture) || statSync(capture).size < size) {
    process.stdout.write(`building ${capture} ...\n`);
    const built = await buildBigCapture(capture, size, kind);
    process.stdout.write(`  ${built.packets} packets, ${built.rounds} rounds of the corpus\n`);
  }
  const bytes = statSync(capture).size;
  const mb = bytes / 1e6;
  process.stdout.write(`\n${capture}: ${mb.toFixed(0)} MB\n`);
  const db = join(dir, kind === 'all' ? `index-${size}.duckdb` : `index-${kind}-${size}.duckdb`);
  const index = () => {
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
    return time('node', [CLI, 'index', capture, '--db', db, '--quiet', '--no-progress']);
  };
  const tcpdump = () => time('tcpdump', ['-r', capture, '-w', '/dev/null']);
  // From the disk (page cache emptied before each), and from the page cache (the file read just before).
  const cold = { tcpdump: [] as number[], index: [] as number[] };
  const warm = { tcpdump: [] as number[], index: [] as number[] };
  const canDrop = evict(capture);
  for (let run = 0; run < runs; run++) {
    if (canDrop) {
      evict(capture);
      cold.tcpdump.push(tcpdump());
      evict(capture);
      cold.index.push(index());
    }
    execFileSync('cat', [capture], { stdio: ['ignore', 'ignore', 'ignore'] });
    warm.tcpdump.push(tcpdump());
    warm.index.push(index());
    process.stdout.write(`  run ${run + 1}: ${canDrop ? `from disk: tcpdump ${cold.tcpdump[run].toFixed(2)} s, index ${cold.index[run].toFixed(2)} s; ` : ''}` +
      `from page cache: tcpdump ${warm.tcpdump[run].toFixed(2)} s, index ${warm.index[run].toFixed(2)} s\n`);
  }
  const indexBytes = statSync(db).size;
  const [[flows, packets]] = sql(db, 'SELECT count(*), sum(packets) FROM pcap.flow_packets');
  const [[records]] = sql(db, 'SELECT packets FROM pcap.captures');

  const session = chooseSession(db, dir, capture);
  const out = join(dir, 'session.pcap');
  // The peer: the index as zeek-arrow kept it before, an ART index on community_id for lookups (made before the rows
  // and kept up to date as they were added, as it was) and no community_key.
  const withArt = join(dir, `${basename(db, '.duckdb')}-art.duckdb`);
  copyFileSync(db, withArt);
  const artHandle = await Database.open(withArt);
  const usedBytes = async () => Number((await artHandle.all('SELECT used_blocks * block_size AS n FROM pragma_database_size()'))[0].n);
  const ownBytes = await usedBytes();
  await artHandle.run('CREATE TABLE pcap.rows AS SELECT * EXCLUDE (community_key) FROM pcap.flow_packets');
  await artHandle.run('DROP TABLE pcap.flow_packets');
  await artHandle.run('CREATE TABLE pcap.flow_packets AS SELECT * FROM pcap.rows LIMIT 0');
  await artHandle.run('CREATE INDEX flow_packets_community_id ON pcap.flow_packets (community_id)');
  await artHandle.run('INSERT INTO pcap.flow_packets SELECT * FROM pcap.rows');
  await artHandle.run('DROP TABLE pcap.rows');
  await artHandle.run('CHECKPOINT');
  // Blocks in use (the file keeps the freed ones), less ours with the conns, plus our file's size before them.
  const artBytes = indexBytes + await usedBytes() - ownBytes;
  artHandle.close();
  const handle = await Database.open(db, { access_mode: 'read_only' });
  const artDb = await Database.open(withArt, { access_mode: 'read_only' });
  const inside: number[] = [];
  const insideArt: number[] = [];
  let extracted = 0;
  let checkTimes: number[];
  try {
    const selection = session.select[0] === '--uid' ? { uids: [session.select[1]] } : { communityIds: [session.select[1]] };
    // Interleaved, so load on the machine falls on both alike.
    for (let run = 0; run < Math.max(runs, 5); run++) {
      const now = await timeExtraction(handle, selection, out, 1);
      inside.push(...now.times);
      extracted = now.packets;
      insideArt.push(...(await timeExtraction(artDb, selection, out, 1)).times);
    }
    checkTimes = await timeCheck(capture, Math.max(runs, 5));
  } finally {
    handle.close();
    artDb.close();
    rmSync(withArt, { force: true });
  }
  const command: number[] = [];
  const scan: number[] = [];
  const coldCommand: number[] = [];
  const coldScan: number[] = [];
  const peerOut = join(dir, 'session-tcpdump.pcap');
  const extract = () => time('node', [CLI, 'extract', '--db', db, ...session.select, '-w', out]);
  const tcpdumpScan = () => time('tcpdump', ['-r', capture, '-w', peerOut, session.filter]);
  // Captures on disk, programs and the index in memory: a capture store much larger than the page cache.
  const canEvict = canDrop;
  for (let run = 0; run < runs; run++) {
    command.push(extract());
    scan.push(tcpdumpScan());
    if (canEvict) {
      evict(capture);
      coldCommand.push(extract());
      evict(capture);
      coldScan.push(tcpdumpScan());
    }
  }
  const peerPackets = await countPackets(peerOut);
  const rate = (t: number[]) => mb / median(t);
  const indexLine = (label: string, t: { tcpdump: number[]; index: number[] }) =>
    `  index ${label}: zeek-arrow ${rate(t.index).toFixed(0)} MB/s, tcpdump -w /dev/null ${rate(t.tcpdump).toFixed(0)} MB/s, ` +
    `ratio ${(rate(t.index) / rate(t.tcpdump)).toFixed(2)} (target >= 0.5)`;
  const report = [
    `${mb.toFixed(0)} MB capture of ${records} packets (${(bytes / Number(records)).toFixed(0)} bytes on average), ` +
      `${packets} in ${flows} flows (a packet is in a flow per IP layer) (median of ${runs} runs):`,
    canDrop ? indexLine('from disk', cold) : '  index from disk: not measured (dd iflag=nocache could not evict the capture)',
    indexLine('from page cache', warm),
    `  index size: ${(indexBytes / 1e6).toFixed(1)} MB = ${(100 * indexBytes / bytes).toFixed(2)}% of the capture (target <= 2%), ` +
      `${(indexBytes / Number(packets)).toFixed(1)} bytes a flow packet; before (an ART index on community_id, no community_key) ` +
      `${(artBytes / 1e6).toFixed(1)} MB = ${(100 * artBytes / bytes).toFixed(2)}%`,
    `  extract ${session.label} (${extracted} packets): in process ${median(inside).toFixed(1)} ms (target < 100 ms; ` +
      `before ${median(insideArt).toFixed(1)} ms, interleaved), ` +
      `command ${(median(command) * 1000).toFixed(0)} ms, tcpdump '${session.filter}' ${(median(scan) * 1000).toFixed(0)} ms ` +
      `(${peerPackets} packets), command ÷ tcpdump ${(median(command) / median(scan)).toFixed(2)} (capture in the page cache)`,
    `  of the extract in process, the check that the capture is unchanged since indexed (size, SHA-256 of its first and last MiB): ` +
      `${median(checkTimes!).toFixed(1)} ms = ${(100 * median(checkTimes!) / median(inside)).toFixed(0)}%`,
    canEvict
      ? `  extract with the capture on disk: command ${(median(coldCommand) * 1000).toFixed(0)} ms, tcpdump ${(median(coldScan) * 1000).toFixed(0)} ms, ` +
        `command ÷ tcpdump ${(median(coldCommand) / median(coldScan)).toFixed(2)}`
      : '  extract with the capture on disk: not measured (dd iflag=nocache could not evict it)',
  ];
  return { report, session };
}

/** What extract does to see a capture is unchanged before it reads it (its size, fingerprint()), timed (ms). */
async function timeCheck(capture: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    await fingerprint(capture, statSync(capture).size);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

/** extractSessions() timed inside the process (ms), `runs` times. */
async function timeExtraction(db: Database, selection: SessionSelection, out: string, runs: number): Promise<{ times: number[]; packets: number }> {
  const times: number[] = [];
  let packets = 0;
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    packets = (await extractSessions(db, selection, out)).packets;
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { times, packets };
}

/**
 * Extraction by uid from a conn table of a capture store's size: the largest capture's database with its conns
 * copied over and again (each copy a day later, with uids and Community IDs of its own), with conn's indexes and without.
 */
async function benchManyConns(size: number, dir: string, runs: number, conns: number, session: Session): Promise<string[]> {
  if (session.select[0] !== '--uid') return ['extract from a large conn: not measured (no Zeek here, so no conn table)'];
  const db = join(dir, `conns-${size}.duckdb`);
  rmSync(`${db}.wal`, { force: true });
  copyFileSync(join(dir, `index-${size}.duckdb`), db);
  const handle = await Database.open(db);
  const out = join(dir, 'session.pcap');
  const extractTimes = async () => (await timeExtraction(handle, { uids: [session.select[1]] }, out, Math.max(runs, 5))).times;
  try {
    await handle.run('DROP INDEX IF EXISTS conn_uid');
    await handle.run('DROP INDEX IF EXISTS conn_community_id');
    const own = Number((await handle.all('SELECT count(*) AS n FROM conn'))[0].n);
    await handle.run(`INSERT INTO conn SELECT * EXCLUDE (i) REPLACE (ts + INTERVAL (i) DAY AS ts, uid || 'x' || i AS uid,
      community_id || 'x' || i AS community_id) FROM conn, range(1, ${Math.ceil(conns / own)}) r(i)`);
    await handle.run('CHECKPOINT');
    const total = Number((await handle.all('SELECT count(*) AS n FROM conn'))[0].n);
    // Blocks in use, not the file's size: blocks the dropped indexes freed are used again.
    const usedBytes = async () => {
      const [r] = await handle.all('SELECT used_blocks * block_size AS bytes FROM pragma_database_size()');
      return Number(r.bytes);
    };
    const before = await usedBytes();
    const scanned = await extractTimes();
    const start = process.hrtime.bigint();
    await ensureConnPacketsView(handle);
    await handle.run('CHECKPOINT');
    const built = Number(process.hrtime.bigint() - start) / 1e9;
    const indexBytes = await usedBytes() - before;
    const indexed = await extractTimes();
    return [
      `extract ${session.label} from a conn of ${total} rows (the ${Math.round(size / 2 ** 20)} MiB capture's ${own}, copied; in process, median of ${indexed.length}):`,
      `  with conn's indexes on uid and community_id: ${median(indexed).toFixed(1)} ms; without: ${median(scanned).toFixed(1)} ms`,
      `  the indexes: built in ${built.toFixed(1)} s, ${(indexBytes / 1e6).toFixed(0)} MB (${(indexBytes / total).toFixed(0)} bytes a conn)`,
    ];
  } finally {
    handle.close();
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
  }
}

/**
 * A capture store's shape: the capture cut into pieces of ~128 MB, indexed in one run (a scan thread per core)
 * next to tcpdump over the same pieces, one after another and one process per core.
 */
async function benchPieces(size: number, dir: string, runs: number): Promise<string[]> {
  const capture = join(dir, `big-${size}.pcap`);
  const piecesDir = join(dir, `pieces-${size}`);
  if (!existsSync(join(piecesDir, 'done'))) {
    rmSync(piecesDir, { recursive: true, force: true });
    mkdirSync(piecesDir, { recursive: true });
    await cutIntoPieces(capture, PIECE, piecesDir);
    writeFileSync(join(piecesDir, 'done'), '');
  }
  const pieces = readdirSync(piecesDir).filter(f => f.endsWith('.pcap')).map(f => join(piecesDir, f)).sort();
  const mb = pieces.reduce((n, f) => n + statSync(f).size, 0) / 1e6;
  const cores = availableParallelism();
  const db = join(dir, `index-pieces-${size}.duckdb`);
  const index = () => {
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
    return time('node', [CLI, 'index', piecesDir, '--db', db, '--quiet', '--no-progress']);
  };
  const quoted = pieces.map(f => `'${f}'`).join(' ');
  const inTurn = () => time('sh', ['-c', `for f in ${quoted}; do tcpdump -r "$f" -w /dev/null 2>/dev/null || exit 1; done`]);
  const perCore = () => time('sh', ['-c', `printf '%s\\n' ${quoted} | xargs -P ${cores} -I{} tcpdump -r {} -w /dev/null 2>/dev/null`]);
  const t = { index: [] as number[], inTurn: [] as number[], perCore: [] as number[] };
  const canDrop = pieces.every(evict);
  for (let run = 0; run < runs; run++) {
    for (const [name, f] of [['inTurn', inTurn], ['perCore', perCore], ['index', index]] as const) {
      if (canDrop) pieces.forEach(evict);
      t[name].push(f());
    }
  }
  const rate = (x: number[]) => mb / median(x);
  return [
    `${pieces.length} pieces of <= ${PIECE >> 20} MiB (${mb.toFixed(0)} MB), ${cores} cores, ${canDrop ? 'from disk' : 'from page cache'} (median of ${runs} runs):`,
    `  index: zeek-arrow ${rate(t.index).toFixed(0)} MB/s; tcpdump -w /dev/null one file after another ${rate(t.inTurn).toFixed(0)} MB/s ` +
      `(ratio ${(rate(t.index) / rate(t.inTurn)).toFixed(2)}), ${cores} at once ${rate(t.perCore).toFixed(0)} MB/s (ratio ${(rate(t.index) / rate(t.perCore)).toFixed(2)})`,
  ];
}

async function main(): Promise<void> {
  const options = new Command('bench-pcap')
    .option('--sizes <sizes>', 'capture sizes, comma-separated (K, M, G suffixes)', '512M,2G')
    .option('--dir <dir>', 'where captures and databases go', join(tmpdir(), 'zeek-arrow-bench-pcap'))
    .option('--runs <n>', 'runs of each timing (the median is reported)', v => Number(v), 3)
    .option('--small <size>', 'size of the capture of small packets (0: none)', parseSize, 300 << 20)
    .option('--conns <n>', 'rows of the large conn table extraction is timed on (0: not timed)', parseSize, 10_000_000)
    .parse().opts<{ sizes: string; small: number; dir: string; runs: number; conns: number }>();
  mkdirSync(options.dir, { recursive: true });
  if (spawnSync('tcpdump', ['--version']).status !== 0) throw new Error('tcpdump is needed as the peer (apt-get install tcpdump)');
  const report: string[] = [];
  const sizes = options.sizes.split(',').map(parseSize);
  let session: Session | undefined;
  for (const size of sizes) {
    const result = await benchSize(size, options.dir, options.runs);
    report.push(...result.report);
    session = result.session;
  }
  if (options.small > 0) report.push(...(await benchSize(options.small, options.dir, options.runs, 'small')).report);
  const largest = sizes[sizes.length - 1];
  report.push(...await benchPieces(largest, options.dir, options.runs));
  if (options.conns > 0) report.push(...await benchManyConns(largest, options.dir, options.runs, options.conns, session!));
  process.stdout.write(`\n${report.join('\n')}\n`);
}

main().catch(e => { process.stderr.write(`bench-pcap: ${(e as Error).message}\n`); process.exitCode = 1; });
