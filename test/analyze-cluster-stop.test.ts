import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { REPO, corpusPath } from './helpers/corpus';
import { tempDir } from './helpers/logs';
import { describeWithZeek } from './helpers/zeek';

const CLI = join(REPO, 'bin', 'zeek-arrow.js');

/** Processes whose parent is `pid`, with the CLUSTER_NODE they were given. */
function nodesOf(pid: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== pid) continue;
      const node = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').find(v => v.startsWith('CLUSTER_NODE='));
      if (node) found.set(Number(entry), node.slice('CLUSTER_NODE='.length));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Run { status: number | null; signal: string | null; stdout: string; stderr: string; nodes: Map<number, string> }

/** Runs analyze on 3 workers; once all 6 nodes run, `act` is called with them; every node seen is recorded. */
function analyzeAndAct(dir: string, act: (child: ChildProcess, nodes: Map<number, string>) => void): Promise<Run> {
  const child = spawn('node', [CLI, 'analyze', '--no-progress', '-C', '--workers', '3', corpusPath('split'), '--db', 'logs.duckdb'], { cwd: dir });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', t => { stdout += t; });
  child.stderr.setEncoding('utf8').on('data', t => { stderr += t; });
  const nodes = new Map<number, string>();
  let acted = false;
  const watch = setInterval(() => {
    for (const [pid, name] of nodesOf(child.pid!)) nodes.set(pid, name);
    if (!acted && new Set(nodes.values()).size === 6) {
      acted = true;
      act(child, nodes);
    }
  }, 20);
  return new Promise(resolve => child.once('close', (status, signal) => {
    clearInterval(watch);
    resolve({ status, signal, stdout, stderr, nodes });
  }));
}

/** Rows of conn and captures in the database (-1: no such table). */
async function contents(file: string): Promise<{ conn: number; captures: number }> {
  const db = await Database.open(file);
  try {
    const count = async (table: string) => {
      const present = await db.all(`SELECT 1 FROM duckdb_tables() WHERE schema_name || '.' || table_name = '${table}'`);
      return present.length ? Number((await db.all(`SELECT count(*) AS n FROM ${table}`))[0].n) : -1;
    };
    return { conn: await count('main.conn'), captures: await count('pcap.captures') };
  } finally {
    db.close();
  }
}

describeWithZeek('zeek-arrow analyze --workers N: a failed or interrupted run keeps nothing', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('a worker killed mid-run fails the run, naming the worker; no log rows, no index rows, no node left', async function () {
    this.timeout(600_000);
    const dir = tempDir();
    dirs.push(dir);
    const run = await analyzeAndAct(dir, (_, nodes) => {
      const [pid] = [...nodes].find(([, name]) => name === 'worker-2')!;
      process.kill(pid, 'SIGKILL');
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^error: the Zeek cluster failed: Zeek cluster node worker-2 died \(killed by SIGKILL\); nothing of this run was kept\n$/m);
    assert.match(run.stdout, /^analyzed 0 captures with Zeek [^:]*: no log rows; indexed 0 \(0 packets, 0 flows\); 0 already analyzed\n$/);
    assert.deepEqual(await contents(join(dir, 'logs.duckdb')), { conn: -1, captures: 0 });
    assert.deepEqual(new Set(run.nodes.values()), new Set(['manager', 'logger', 'proxy', 'worker-1', 'worker-2', 'worker-3']));
    for (const [pid, name] of run.nodes) assert.ok(!alive(pid), `${name} (${pid}) still runs`);
    assert.deepEqual(readdirSync(dir), ['logs.duckdb']);
  });

  it('SIGINT stops every node and leaves the database as it was', async function () {
    this.timeout(600_000);
    const dir = tempDir();
    dirs.push(dir);
    // A database with one analyzed capture in it first (one Zeek).
    const first = spawn('node', [CLI, 'analyze', '--no-progress', '-C', '--workers', '1', corpusPath('pcaps', 'http__bro.org.pcap'), '--db', 'logs.duckdb'], { cwd: dir });
    assert.equal(await new Promise(r => first.once('close', r)), 0);
    const before = await contents(join(dir, 'logs.duckdb'));
    assert.equal(before.captures, 1);
    assert.ok(before.conn > 0);
    const run = await analyzeAndAct(dir, child => child.kill('SIGINT'));
    assert.equal(run.status, 130, run.stderr);
    assert.match(run.stderr, /^error: interrupted by SIGINT; nothing of this run was kept\n$/m);
    assert.deepEqual(await contents(join(dir, 'logs.duckdb')), before);
    for (const [pid, name] of run.nodes) assert.ok(!alive(pid), `${name} (${pid}) still runs`);
    assert.deepEqual(readdirSync(dir), ['logs.duckdb']);
  });
});
