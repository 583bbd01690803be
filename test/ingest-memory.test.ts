import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogIngester, formatProblem } from '../ts/logs/ingest';
import { demoLog, demoRows, tempDir } from './helpers/logs';

// Ingest's memory is bounded by a stated figure (README: "ingest"), whatever the number of files.
describe('ingest: memory bounded whatever the number of files', () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs under a 256 MiB DuckDB memory_limit and 2 threads, and stores exactly the rows of 2,345 files', async () => {
    // More files than one batch holds (1,000), each with its own number of rows.
    let rows = 0;
    for (let f = 0; f < 2345; f++) {
      const n = 1 + f % 7;
      writeFileSync(join(dir, `demo.${String(f).padStart(5, '0')}.log`), demoLog(demoRows(n, 0, `F${f}x`)));
      rows += n;
    }
    const db = await Database.open(':memory:');
    try {
      const summary = await LogIngester.ingest(db, [dir]);
      assert.deepEqual(summary.problems.map(formatProblem), []);
      const [setting] = await db.all(`SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t`);
      assert.equal(setting.m, '256.0 MiB');
      assert.equal(Number(setting.t), 2);
      const [stored] = await db.all('SELECT count(*) AS n, count(DISTINCT uid) AS uids FROM demo');
      assert.equal(Number(stored.n), rows);
      assert.equal(Number(stored.uids), rows);
      assert.equal(summary.filesIngested, 2345);
    } finally {
      db.close();
    }
  });

  it('names a line longer than 2 MiB by file and line, and stores the file\'s other lines', async () => {
    const long = tempDir();
    try {
      const data = demoRows(5, 0, 'L');
      data[2][1] = 'u'.repeat(3 << 20);
      writeFileSync(join(long, 'long.log'), demoLog(data));
      writeFileSync(join(long, 'other.log'), demoLog(demoRows(4, 0, 'O')));
      const db = await Database.open(':memory:');
      try {
        const summary = await LogIngester.ingest(db, [long]);
        const messages = summary.problems.map(formatProblem);
        assert.equal(messages.length, 1);
        // demoLog's header is 8 lines: the third data row is line 11.
        const byte = Buffer.byteLength(demoLog(data).split('\n').slice(0, 10).join('\n') + '\n');
        assert.match(messages[0], new RegExp(`^error: .*long\\.log:11 \\(byte ${byte}\\): line of ${Buffer.byteLength(data[2].join('\t'))} bytes: longer than the 2097152 bytes a line may have$`));
        const [stored] = await db.all(`SELECT count(*) AS n FROM demo WHERE uid LIKE 'L%'`);
        assert.equal(Number(stored.n), 4);
        assert.equal(Number((await db.all(`SELECT count(*) AS n FROM demo WHERE uid LIKE 'O%'`))[0].n), 4);
      } finally {
        db.close();
      }
    } finally {
      rmSync(long, { recursive: true, force: true });
    }
  });
});
