import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { corpusPath } from './helpers/corpus';
import { CLI, SAME, analyze, clusterDifferences, contents } from './helpers/cluster-compare';
import { alive, nodesOf } from './helpers/cluster-nodes';
import { tempDir } from './helpers/logs';
import { describeWithZeek } from './helpers/zeek';

/** A port p with p..p+3 free on 127.0.0.1 (the logger host's line and ZeroMQ's three). */
async function freePorts(): Promise<number> {
  const free = (port: number) => new Promise<boolean>(resolve => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let i = 0; i < 4 && ok; i++) ok = await free(p + i);
    if (ok) return p;
  }
}

interface Host {
  pid: number;
  /** Every Zeek node it started, by pid, as seen while it ran. */
  nodes: Map<number, string>;
  done: Promise<{ status: number | null; stdout: string; stderr: string }>;
}

/**
 * One host's `zeek-arrow analyze` (a process group of its own, as a host is), its nodes watched while it runs;
 * `tmp`: its temp directory (where a worker host works).
 */
function host(dir: string, args: string[], tmp?: string): Host {
  const env = tmp ? { ...process.env, TMPDIR: tmp } : process.env;
  const child = spawn('node', [CLI, 'analyze', '--no-progress', ...args], { cwd: dir, detached: true, env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', t => { stdout += t; });
  child.stderr.setEncoding('utf8').on('data', t => { stderr += t; });
  const nodes = new Map<number, string>();
  const watch = setInterval(() => { for (const [pid, name] of nodesOf(child.pid!)) nodes.set(pid, name); }, 20);
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>(resolve => child.once('close', status => {
    clearInterval(watch);
    resolve({ status, stdout, stderr });
  }));
  return { pid: child.pid!, nodes, done };
}

function noneAlive(...hosts: Host[]): void {
  for (const h of hosts) for (const [pid, name] of h.nodes) assert.ok(!alive(pid), `${name} (${pid}) still runs`);
}

/** The nodes of a host the test killed (their process group, SIGKILL) are gone once the kernel has reaped them. */
async function goneSoon(h: Host): Promise<void> {
  await until(() => [...h.nodes.keys()].every(pid => !alive(pid)), 30);
}

async function until(what: () => boolean, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!what()) {
    assert.ok(Date.now() < end, 'timed out');
    await new Promise(r => setTimeout(r, 20));
  }
}

// The split set (sessions that cross pieces) and two corpus captures of other years, for DNS, HTTP, TLS and X.509.
const CAPTURES = [corpusPath('split'), corpusPath('pcaps', 'dce-rpc__mapi.pcap'), corpusPath('pcaps', 'tls__google-cert-repeat.pcap')];
/** Packets of the captures (MANIFEST.tsv of split/ and pcaps/: 3245 + 800 + 116). */
const PACKETS = 4161;

describeWithZeek('zeek-arrow analyze across hosts: a logger host and worker hosts with --shard i/N', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('a logger host and two worker hosts (separate commands on 127.0.0.1) give the rows of one Zeek, each conn with the same packets', async function () {
    this.timeout(1_800_000);
    const dir = tempDir();
    dirs.push(dir);
    const one = analyze(dir, 'one.duckdb', '-C', '--workers', '1', ...CAPTURES);
    assert.equal(one.status, 0, one.stderr);
    const port = await freePorts();
    const logger = host(dir, ['-C', ...CAPTURES, '--db', 'hosts.duckdb', '--listen', `127.0.0.1:${port}`, '--worker-hosts', '2']);
    const first = host(dir, [...CAPTURES, '--join', `127.0.0.1:${port}`, '--shard', '1/2', '--workers', '2']);
    const second = host(dir, [...CAPTURES, '--join', `127.0.0.1:${port}`, '--shard', '2/2', '--workers', '1']);
    const [l, a, b] = await Promise.all([logger.done, first.done, second.done]);
    assert.deepEqual([l.status, l.stderr, a.status, a.stderr, b.status, b.stderr], [0, '', 0, '', 0, ''], `${l.stderr}${a.stderr}${b.stderr}`);
    assert.match(l.stdout, new RegExp(`^analyzed 14 captures with Zeek [^:]*: conn \\d+, .*; indexed 14 \\(${PACKETS} packets, \\d+ flows\\); 0 already analyzed\\n$`));
    // Each worker host read every capture and sent its workers its share; together, every packet once.
    const sent = [a, b].map((r, i) => Number(new RegExp(`^worker host ${i + 1}/2: sent (\\d+) packets \\(\\d+ bytes\\) of 14 captures to ${2 - i} workers\\n$`).exec(r.stdout)?.[1]));
    assert.ok(sent[0] > 0 && sent[1] > 0, `both hosts have a share: ${sent}`);
    assert.equal(sent[0] + sent[1], PACKETS);
    assert.deepEqual([...logger.nodes.values()].sort(), ['logger', 'manager', 'proxy']);
    assert.deepEqual([...first.nodes.values()].sort(), ['worker-1-1', 'worker-1-2']);
    assert.deepEqual([...second.nodes.values()].sort(), ['worker-2-1']);
    noneAlive(logger, first, second);

    assert.deepEqual(await clusterDifferences(dir, 'one.duckdb', 'hosts.duckdb'), SAME);
    const db = await Database.open(join(dir, 'hosts.duckdb'));
    try {
      const uids = await db.all(`SELECT count(*) AS n, count(DISTINCT uid) AS d FROM conn`);
      assert.equal(Number(uids[0].d), Number(uids[0].n), 'conn uids are unique across hosts');
      // CHECK.txt of the split set: 4 smb and 5 ssh sessions cross pieces; across hosts they are still whole.
      const crossing = await db.all(`SELECT count(*) AS n FROM (SELECT uid FROM conn_packets GROUP BY uid HAVING count(DISTINCT file) > 1)`);
      assert.equal(Number(crossing[0].n), 9);
    } finally {
      db.close();
    }
    assert.deepEqual(readdirSync(dir).sort(), ['compare.duckdb', 'hosts.duckdb', 'one.duckdb']);
  });

  it('a worker host that never joins fails the run after --join-timeout, naming it; the other host stops; nothing kept', async function () {
    this.timeout(600_000);
    const dir = tempDir();
    dirs.push(dir);
    const port = await freePorts();
    const logger = host(dir, ['-C', corpusPath('split'), '--db', 'logs.duckdb', '--listen', `127.0.0.1:${port}`, '--worker-hosts', '2', '--join-timeout', '5']);
    const first = host(dir, [corpusPath('split'), '--join', `127.0.0.1:${port}`, '--shard', '1/2', '--workers', '1']);
    const [l, a] = await Promise.all([logger.done, first.done]);
    const why = 'worker host 2/2 did not join within 5 s';
    assert.equal(l.status, 1, l.stderr);
    assert.equal(l.stderr, `error: the Zeek cluster failed: ${why}; nothing of this run was kept\n`);
    assert.match(l.stdout, /^analyzed 0 captures with Zeek [^:]*: no log rows; indexed 0 \(0 packets, 0 flows\); 0 already analyzed\n$/);
    assert.equal(a.status, 1, a.stderr);
    assert.equal(a.stderr, `error: the logger host 127.0.0.1:${port} ended the run: ${why}\n`);
    assert.deepEqual(await contents(join(dir, 'logs.duckdb')), { conn: -1, captures: 0 });
    noneAlive(logger, first);
    assert.deepEqual(readdirSync(dir), ['logs.duckdb']);
  });

  it('captures of two link types are refused across hosts, naming them; nothing kept', async function () {
    this.timeout(600_000);
    const dir = tempDir();
    dirs.push(dir);
    const port = await freePorts();
    // MANIFEST.tsv: radiotap.pcap is 802.11 radiotap (link type 127), the split set Ethernet (1).
    const captures = [corpusPath('split'), corpusPath('pcaps', 'radiotap.pcap')];
    const logger = host(dir, [...captures, '--db', 'logs.duckdb', '--listen', `127.0.0.1:${port}`, '--worker-hosts', '1']);
    const first = host(dir, [...captures, '--join', `127.0.0.1:${port}`, '--shard', '1/1', '--workers', '1']);
    const [l, a] = await Promise.all([logger.done, first.done]);
    const why = `a run across hosts reads captures of one link type: \\S+\\.pcap has link type 1, ${corpusPath('pcaps', 'radiotap.pcap')} 127; ` +
      'analyze each link type in a run of its own';
    assert.equal(l.status, 1, l.stderr);
    assert.match(l.stderr, new RegExp(`^error: the Zeek cluster failed: ${why}; nothing of this run was kept\\n$`));
    assert.equal(a.status, 1, a.stderr);
    assert.match(a.stderr, new RegExp(`^error: the logger host 127\\.0\\.0\\.1:${port} ended the run: ${why}\\n$`));
    assert.deepEqual(await contents(join(dir, 'logs.duckdb')), { conn: -1, captures: 0 });
    assert.deepEqual(readdirSync(dir), ['logs.duckdb']);
  });

  it('a worker host that dies mid-run (kill -9 of all its processes) fails the run, naming it; no rows; every node gone', async function () {
    this.timeout(600_000);
    const dir = tempDir();
    dirs.push(dir);
    const { port, logger, first, second } = await threeHosts(dir);
    // Once every node of the cluster runs, the second host dies: its zeek-arrow and its worker at once.
    process.kill(-second.pid, 'SIGKILL');
    const [l, a] = await Promise.all([logger.done, first.done, second.done]);
    const why = 'worker host 2/2 (127.0.0.1) left the run before its workers were done (the host or its zeek-arrow died)';
    assert.equal(l.status, 1, l.stderr);
    assert.equal(l.stderr, `error: the Zeek cluster failed: ${why}; nothing of this run was kept\n`);
    assert.deepEqual([a.status, a.stderr], [1, `error: the logger host 127.0.0.1:${port} ended the run: ${why}\n`]);
    assert.deepEqual(await contents(join(dir, 'logs.duckdb')), { conn: -1, captures: 0 });
    noneAlive(logger, first);
    await goneSoon(second);
    assert.deepEqual(readdirSync(dir), ['logs.duckdb']);
  });

  /** A logger host and two worker hosts (2 workers and 1) over the split set, with `args` for the logger host. */
  async function threeHosts(dir: string, ...args: string[]) {
    const port = await freePorts();
    const logger = host(dir, ['-C', corpusPath('split'), '--db', 'logs.duckdb', '--listen', `127.0.0.1:${port}`, '--worker-hosts', '2', ...args]);
    const first = host(dir, [corpusPath('split'), '--join', `127.0.0.1:${port}`, '--shard', '1/2', '--workers', '2']);
    // A host killed cannot clean up after itself: its temp directory is one the test removes.
    const tmp = tempDir();
    dirs.push(tmp);
    const second = host(dir, [corpusPath('split'), '--join', `127.0.0.1:${port}`, '--shard', '2/2', '--workers', '1'], tmp);
    await until(() => logger.nodes.size === 3 && first.nodes.size === 2 && second.nodes.size === 1, 300);
    return { port, logger, first, second };
  }

  it("a worker host's Zeek worker that dies fails the run, naming the node and its host; no rows; every node gone", async function () {
    this.timeout(600_000);
    const dir = tempDir();
    dirs.push(dir);
    const { port, logger, first, second } = await threeHosts(dir);
    process.kill([...first.nodes].find(([, name]) => name === 'worker-1-2')![0], 'SIGKILL');
    const [l, a, b] = await Promise.all([logger.done, first.done, second.done]);
    const why = 'Zeek cluster node worker-1-2 died (killed by SIGKILL)';
    assert.equal(l.status, 1, l.stderr);
    assert.equal(l.stderr, `error: the Zeek cluster failed: worker host 1/2 (127.0.0.1) failed: ${why}; nothing of this run was kept\n`);
    assert.deepEqual([a.status, a.stderr], [1, `error: ${why}\n`]);
    assert.deepEqual([b.status, b.stderr], [1, `error: the logger host 127.0.0.1:${port} ended the run: worker host 1/2 (127.0.0.1) failed: ${why}\n`]);
    assert.deepEqual(await contents(join(dir, 'logs.duckdb')), { conn: -1, captures: 0 });
    noneAlive(logger, first, second);
    assert.deepEqual(readdirSync(dir), ['logs.duckdb']);
  });

  it('a worker host that falls silent (frozen) fails the run after --join-timeout, naming it', async function () {
    this.timeout(600_000);
    const dir = tempDir();
    dirs.push(dir);
    const { port, logger, first, second } = await threeHosts(dir, '--join-timeout', '10');
    process.kill(-second.pid, 'SIGSTOP');
    const [l, a] = await Promise.all([logger.done, first.done]);
    process.kill(-second.pid, 'SIGKILL');
    await second.done;
    const why = 'worker host 2/2 (127.0.0.1) fell silent: nothing from it for 10 s';
    assert.equal(l.status, 1, l.stderr);
    assert.equal(l.stderr, `error: the Zeek cluster failed: ${why}; nothing of this run was kept\n`);
    assert.deepEqual([a.status, a.stderr], [1, `error: the logger host 127.0.0.1:${port} ended the run: ${why}\n`]);
    assert.deepEqual(await contents(join(dir, 'logs.duckdb')), { conn: -1, captures: 0 });
    noneAlive(logger, first);
    await goneSoon(second);
  });

  it('a logger host that dies (kill -9 of all its processes) stops the worker hosts; every node gone', async function () {
    this.timeout(600_000);
    const dir = tempDir();
    dirs.push(dir);
    const { port, logger, first, second } = await threeHosts(dir);
    process.kill(-logger.pid, 'SIGKILL');
    const [, a, b] = await Promise.all([logger.done, first.done, second.done]);
    for (const r of [a, b]) assert.deepEqual([r.status, r.stderr], [1, `error: the line to the logger host 127.0.0.1:${port} broke\n`]);
    noneAlive(first, second);
    await goneSoon(logger);
  });
});
