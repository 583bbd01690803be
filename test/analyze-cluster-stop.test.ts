import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, corpusPath } from './helpers/corpus';
import { contents } from './helpers/cluster-compare';
import { alive, nodesOf } from './helpers/cluster-nodes';
import { tempDir } from './helpers/logs';
import { describeWithZeek } from './helpers/zeek';

const CLI = join(REPO, 'bin', 'zeek-arrow.js');

interface Run { status: number | null; signal: string | null; stdout: string; stderr: string; nodes: Map<number, string> }

/** Runs analyze on 3 workers; once all 6 nodes run, `act` is called with them; every node seen is recorded. */
function analyzeAndAct(dir: string, act: (child: ChildProcess, nodes: Map<number, string>) => void, ownGroup = false): Promise<Run> {
  // ownGroup: zeek-arrow leads a process group of its own, as a shell's foreground job does.
  const child = spawn('node', [CLI, 'analyze', '--no-progress', '-C', '--workers', '3', corpusPath('split'), '--db', 'logs.duckdb'], { cwd: dir, detached: ownGroup });
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

  it('Ctrl-C at a terminal (SIGINT to the whole process group) is one interruption: every node stopped by zeek-arrow, nothing kept', async function () {
    this.timeout(600_000);
    const dir = tempDir();
    dirs.push(dir);
    // The terminal signals every process of the foreground job; the nodes must not take it as their own end.
    const run = await analyzeAndAct(dir, child => process.kill(-child.pid!, 'SIGINT'), true);
    assert.equal(run.status, 130, run.stderr);
    assert.match(run.stderr, /^error: interrupted by SIGINT; nothing of this run was kept\n$/m);
    assert.doesNotMatch(run.stderr, /exited early|died/);
    assert.deepEqual(await contents(join(dir, 'logs.duckdb')), { conn: -1, captures: 0 });
    for (const [pid, name] of run.nodes) assert.ok(!alive(pid), `${name} (${pid}) still runs`);
    assert.deepEqual(readdirSync(dir), ['logs.duckdb']);
  });
});
