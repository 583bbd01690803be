import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { REPO } from './helpers/corpus';
import { tempDir } from './helpers/logs';

const CLI = join(REPO, 'bin', 'zeek-arrow.js');

describe('zeek-arrow sql output', () => {
  const dir = tempDir();
  const db = join(dir, 'logs.duckdb');
  // TMPDIR of the command: the CSV pipe it makes must be gone afterwards, whatever happened.
  const scratch = join(dir, 'tmp');
  const sql = (query: string, format: string) => spawnSync('sh', ['-c', `mkdir -p "${scratch}" && "${process.execPath}" "${CLI}" sql --db "${db}" --format ${format} "$1"`, 'sh', query],
    { encoding: 'utf8', env: { ...process.env, TMPDIR: scratch } });

  before(async () => {
    const d = await Database.open(db);
    await d.run(`CREATE TABLE conn (ts TIMESTAMPTZ, uid VARCHAR, "id.orig_h" VARCHAR, n UBIGINT, duration DOUBLE, note VARCHAR)`);
    await d.run(`INSERT INTO conn VALUES
      ('2009-11-18 08:00:21.49+00', 'CHhAvVGS1DHFjwGM9', '10.0.0.1', 18446744073709551615, 0.125, 'he said "hi", twice'),
      ('2009-11-18 08:00:22+00', 'CxyZ', '2001:db8::1', 0, 2.0, NULL),
      ('2009-11-18 08:00:23.000001+00', 'Cline', '10.0.0.2', 7, NULL, 'two
lines')`);
    await d.run(`CREATE TABLE big AS SELECT range AS i FROM range(300000)`);
    d.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--format csv quotes what needs quoting, leaves NULL empty and keeps every digit', () => {
    const r = sql('SELECT * FROM conn ORDER BY ts;', 'csv');
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, [
      'ts,uid,id.orig_h,n,duration,note',
      '2009-11-18 08:00:21.49+00,CHhAvVGS1DHFjwGM9,10.0.0.1,18446744073709551615,0.125,"he said ""hi"", twice"',
      '2009-11-18 08:00:22+00,CxyZ,2001:db8::1,0,2.0,',
      '2009-11-18 08:00:23.000001+00,Cline,10.0.0.2,7,,"two\nlines"',
      ''].join('\n'));
    assert.deepEqual(readdirSync(scratch), []);
  });

  it('--format csv of a script of statements prints its last result', () => {
    const r = sql(`CREATE TEMP TABLE t AS SELECT uid FROM conn WHERE n = 7; SELECT uid, 'a,b' AS s FROM t`, 'csv');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'uid,s\nCline,"a,b"\n');
  });

  it('--format json gives one object a row', () => {
    const r = sql(`SELECT uid, n, note FROM conn ORDER BY ts`, 'json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      { uid: 'CHhAvVGS1DHFjwGM9', n: '18446744073709551615', note: 'he said "hi", twice' },
      { uid: 'CxyZ', n: '0', note: null },
      { uid: 'Cline', n: '7', note: 'two\nlines' },
    ]);
  });

  it('a reader that stops early (| head) ends the command at once, cleanly, in every format', () => {
    for (const format of ['csv', 'json', 'table']) {
      const r = spawnSync('sh', ['-c', `mkdir -p "${scratch}" && "${process.execPath}" "${CLI}" sql --db "${db}" --format ${format} "SELECT i FROM big ORDER BY i" | head -n 2`],
        { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TMPDIR: scratch } });
      assert.equal(r.signal, null, `${format}: still running after 60 s`);
      assert.equal(r.status, 0);
      assert.equal(r.stdout, { csv: 'i\n0\n', json: '[\n{"i":"0"},\n', table: 'i\n------\n' }[format]);
      assert.deepEqual(readdirSync(scratch), [], format);
    }
  });

  it('a query error is named and nothing is printed on stdout', () => {
    const r = sql('SELECT * FROM nope', 'csv');
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^zeek-arrow: Catalog Error: Table with name nope does not exist/);
  });
});
