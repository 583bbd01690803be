import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogTables } from '../ts/duckdb/log-tables';
import { LogIngester } from '../ts/logs/ingest';
import { literal } from '../ts/schema/mapping';
import { REPO, corpusPath } from './helpers/corpus';
import { removeDir, tempDir } from './helpers/logs';
import { arrowFileTable, dbFile, difference, parquetRelation, rowsOf } from './helpers/compare';
import { describeWithZeek, runZeek } from './helpers/zeek';

const SCRIPT = join(REPO, 'test', 'zeek', 'show-rotation.zeek');

describeWithZeek('rotation (Log::default_rotation_interval on rotation.trace)', zeek => {
  const work = tempDir();
  after(() => removeDir(work));
  const run = (name: string, ...args: string[]) => {
    const dir = join(work, name);
    mkdirSync(dir);
    const r = runZeek(zeek, dir, ['-C', '-D', '-r', corpusPath('pcaps', 'rotation.trace'), SCRIPT, ...args]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /error/, r.stderr);
    return { dir, rotations: r.stdout.split('\n').filter(l => l.startsWith('rotated ')).sort() };
  };
  let ascii: { dir: string; rotations: string[] };

  before(() => {
    ascii = run('ascii');
  });

  for (const [sink, extension] of [['parquet', 'parquet'], ['arrow', 'arrows']]) {
    it(`writes the rotated ${sink} files Zeek asks for, hands them to the post-processor, and each holds the rows of its ASCII counterpart`, async () => {
      const files = run(sink, 'Log::default_writer=Arrow', `LogArrow::sink=${sink}`);
      assert.equal(ascii.rotations.length, 11);
      assert.deepEqual(files.rotations, ascii.rotations.map(l => l.replace(/\.log /, `.${extension} `)));
      const logs = (dir: string, ext: string) => readdirSync(dir).filter(f => f.endsWith(ext)).map(f => f.slice(0, -ext.length)).sort();
      assert.deepEqual(logs(files.dir, `.${extension}`), logs(ascii.dir, '.log'));

      for (const name of logs(ascii.dir, '.log')) {
        const db = await Database.open(':memory:');
        try {
          await LogIngester.ingest(db, [join(ascii.dir, `${name}.log`)]);
          const tables = await LogTables.open(db);
          const [path] = tables.logPaths();
          const schema = tables.schemaOf(path)!;
          const file = join(files.dir, `${name}.${extension}`);
          const relation = sink === 'parquet' ? parquetRelation(schema, file) : await arrowFileTable(db, schema, file, 'written');
          assert.deepEqual(await difference(db, rowsOf(path, schema, tables.tableOf(path)), rowsOf(path, schema, relation)), [0, 0], name);
        } finally {
          db.close();
        }
      }
    });
  }

  it('keeps every row in DuckDB, where there is no file to rotate or post-process', async () => {
    const duck = run('duckdb', 'Log::default_writer=Arrow');
    assert.deepEqual(duck.rotations, []);
    const db = await Database.open(join(work, 'ascii.duckdb'));
    try {
      await LogIngester.ingest(db, [ascii.dir]);
      const tables = await LogTables.open(db);
      await db.run(`ATTACH ${literal(dbFile(duck.dir))} AS arrow (READ_ONLY)`);
      const schema = tables.schemaOf('conn')!;
      assert.deepEqual(await difference(db, rowsOf('conn', schema, 'conn'), rowsOf('conn', schema, 'arrow.conn')), [0, 0]);
      assert.equal(Number((await db.all('SELECT count(*) AS n FROM arrow.conn'))[0].n), 20);
    } finally {
      db.close();
    }
  });
});
