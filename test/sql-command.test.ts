import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { REPO } from './helpers/corpus';
import { tempDir } from './helpers/logs';

const CLI = join(REPO, 'bin', 'zeek-arrow.js');

/** The CLI as the user nobody when the tests run as root (root writes what its mode forbids), else as is. */
function cliAsUnprivileged(args: string[]) {
  const node = ['node', CLI, ...args];
  // Root reads and writes whatever the modes say: the test drops to nobody with setpriv (util-linux), which it needs.
  if (process.getuid?.() === 0) assert.equal(spawnSync('setpriv', ['--version']).status, 0, 'setpriv (util-linux) is needed to run this test as root');
  const command = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  return spawnSync(command[0], command.slice(1), { encoding: 'utf8' });
}

describe('zeek-arrow sql on a database it may only read', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = tempDir();
    file = join(dir, 'numbers.duckdb');
    const db = await Database.open(file);
    try {
      await db.run('CREATE TABLE t AS SELECT range AS n FROM range(5)');
    } finally {
      db.close();
    }
  });
  after(() => {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a file of mode 0444 in a directory of mode 0555: a query that reads answers, one that writes says why not', () => {
    chmodSync(file, 0o444);
    chmodSync(dir, 0o555);
    const read = cliAsUnprivileged(['sql', '--db', file, '--format', 'csv', 'SELECT sum(n) AS s, count(*) AS c FROM t; ']);
    assert.equal(read.stderr, '');
    assert.deepEqual([read.status, read.stdout], [0, 's,c\n10,5\n']);
    const write = cliAsUnprivileged(['sql', '--db', file, 'INSERT INTO t VALUES (5)']);
    assert.equal(write.status, 1);
    assert.match(write.stderr, new RegExp(`^zeek-arrow: cannot open DuckDB database '${file}': .*Permission denied`));
  });

  it('held open read-only by another process: a query that reads answers at once, one that writes waits for the holder to let go, then writes', async () => {
    chmodSync(dir, 0o755);
    chmodSync(file, 0o644);
    const holder: ChildProcess = spawn('node', ['-e', `
      const { DuckDBInstance } = require(${JSON.stringify(join(REPO, 'node_modules', '@duckdb', 'node-api'))});
      DuckDBInstance.create(${JSON.stringify(file)}, { access_mode: 'read_only' }).then(() => { console.log('open'); process.stdin.resume(); });`],
    { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => { holder.stdout!.once('data', () => resolve()); holder.once('exit', reject); });
      const read = spawnSync('node', [CLI, 'sql', '--db', file, '--format', 'csv', 'SELECT max(n) AS m FROM t'], { encoding: 'utf8' });
      assert.equal(read.stderr, '');
      assert.deepEqual([read.status, read.stdout], [0, 'm\n4\n']);
      // The writer starts while the file is held; the holder lets go 2 s later (as a Zeek input stream's read ends).
      const events: string[] = [];
      const write = spawn('node', [CLI, 'sql', '--db', file, 'CREATE TABLE u AS SELECT 42 AS a'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      write.stderr!.on('data', d => { stderr += d; });
      const writeExit = new Promise<number | null>(resolve => write.once('exit', code => { events.push('write exited'); resolve(code); }));
      await new Promise(r => setTimeout(r, 2000));
      events.push('holder let go');
      holder.kill();
      assert.equal(await writeExit, 0, stderr);
      assert.deepEqual(events, ['holder let go', 'write exited']);
      const check = spawnSync('node', [CLI, 'sql', '--db', file, '--format', 'csv', 'SELECT a FROM u'], { encoding: 'utf8' });
      assert.deepEqual([check.status, check.stdout, check.stderr], [0, 'a\n42\n', '']);
    } finally {
      holder.kill();
    }
  });
});
