import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogIngester, formatProblem } from '../ts/logs/ingest';
import { DIRECT_BYTES } from '../ts/logs/big-files';
import { demoLog, demoRows, suiteTempDirs } from './helpers/logs';

// Big logs sharing a header are read where they are, several in one statement: each row, bad line and file record
// must still be its own file's.
describe('ingest: big logs read together', () => {
  const tempDirs = suiteTempDirs();
  // Rows of ~450 bytes: a file of `rows` rows is past DIRECT_BYTES with few rows.
  const pad = 'u'.repeat(400);
  const rowsPerFile = Math.ceil(DIRECT_BYTES / 400) + 10;
  const bigRows = (file: number) => demoRows(rowsPerFile, file * rowsPerFile, `${pad}F${file}x`);

  it('stores every row of three big files and a small one, each file recorded with its own rows', async () => {
    const dir = tempDirs();
    for (let f = 0; f < 3; f++) writeFileSync(join(dir, `demo.${f}.log`), demoLog(bigRows(f)));
    writeFileSync(join(dir, 'demo.3.log'), demoLog(demoRows(7, 0, 'S')));
    const db = await Database.open(':memory:');
    try {
      const summary = await LogIngester.ingest(db, [dir]);
      assert.deepEqual(summary.problems.map(formatProblem), []);
      assert.equal(summary.filesIngested, 4);
      assert.equal(summary.rows, 3 * rowsPerFile + 7);
      const [stored] = await db.all('SELECT count(*) AS n, count(DISTINCT uid) AS uids, sum(n) AS total FROM demo');
      assert.equal(Number(stored.n), 3 * rowsPerFile + 7);
      assert.equal(Number(stored.uids), 3 * rowsPerFile + 7);
      // n runs 0 .. 3 * rowsPerFile - 1 over the big files, 0 .. 6 in the small one.
      assert.equal(Number(stored.total), (3 * rowsPerFile - 1) * 3 * rowsPerFile / 2 + 21);
      const files = await db.all(`SELECT file, row_count, error_count FROM zeek_arrow.log_files ORDER BY file`);
      assert.deepEqual(files.map(r => [String(r.file), Number(r.row_count), Number(r.error_count)]), [
        [join(dir, 'demo.0.log'), rowsPerFile, 0],
        [join(dir, 'demo.1.log'), rowsPerFile, 0],
        [join(dir, 'demo.2.log'), rowsPerFile, 0],
        [join(dir, 'demo.3.log'), 7, 0],
      ]);
    } finally {
      db.close();
    }
  });

  it('names a bad line of the second big file by that file, line and byte, and stores the other rows', async () => {
    const dir = tempDirs();
    const second = bigRows(1);
    second[2][3] = 'x12';
    for (let f = 0; f < 3; f++) writeFileSync(join(dir, `demo.${f}.log`), demoLog(f === 1 ? second : bigRows(f)));
    const db = await Database.open(':memory:');
    try {
      const summary = await LogIngester.ingest(db, [dir]);
      // demoLog's header is 8 lines: the third data row is line 11.
      const byte = Buffer.byteLength(demoLog(second).split('\n').slice(0, 10).join('\n') + '\n');
      assert.deepEqual(summary.problems.map(formatProblem),
        [`error: ${join(dir, 'demo.1.log')}:11 (byte ${byte}): field 'n': 'x12' is not a count`]);
      const [stored] = await db.all('SELECT count(*) AS n FROM demo');
      assert.equal(Number(stored.n), 3 * rowsPerFile - 1);
      const files = await db.all(`SELECT file, row_count, error_count FROM zeek_arrow.log_files ORDER BY file`);
      assert.deepEqual(files.map(r => [String(r.file), Number(r.row_count), Number(r.error_count)]), [
        [join(dir, 'demo.0.log'), rowsPerFile, 0],
        [join(dir, 'demo.1.log'), rowsPerFile - 1, 1],
        [join(dir, 'demo.2.log'), rowsPerFile, 0],
      ]);
    } finally {
      db.close();
    }
  });

  it('reads gzipped big files apart from plain ones, and names a bad gzipped line by file and line', async () => {
    const dir = tempDirs();
    // Random uids: the gzipped files stay big enough (their size is taken as a tenth of their content's).
    const logs = [0, 1, 2].map(file => bigRows(file).map(r => [r[0], `${r[1]}${randomBytes(100).toString('hex')}`, ...r.slice(2)]));
    logs[2][4][3] = '-5';
    writeFileSync(join(dir, 'demo.0.log'), demoLog(logs[0]));
    writeFileSync(join(dir, 'demo.1.log.gz'), gzipSync(demoLog(logs[1])));
    writeFileSync(join(dir, 'demo.2.log.gz'), gzipSync(demoLog(logs[2])));
    const db = await Database.open(':memory:');
    try {
      const summary = await LogIngester.ingest(db, [dir]);
      // demoLog's header is 8 lines: the fifth data row is line 13; a gzipped file has no byte offsets.
      assert.deepEqual(summary.problems.map(formatProblem),
        [`error: ${join(dir, 'demo.2.log.gz')}:13: field 'n': '-5' is not a count`]);
      const [stored] = await db.all('SELECT count(*) AS n, count(DISTINCT uid) AS uids FROM demo');
      assert.equal(Number(stored.n), 3 * rowsPerFile - 1);
      assert.equal(Number(stored.uids), 3 * rowsPerFile - 1);
      const files = await db.all(`SELECT file, row_count, error_count FROM zeek_arrow.log_files ORDER BY file`);
      assert.deepEqual(files.map(r => [String(r.file), Number(r.row_count), Number(r.error_count)]), [
        [join(dir, 'demo.0.log'), rowsPerFile, 0],
        [join(dir, 'demo.1.log.gz'), rowsPerFile, 0],
        [join(dir, 'demo.2.log.gz'), rowsPerFile - 1, 1],
      ]);
    } finally {
      db.close();
    }
  });
});
