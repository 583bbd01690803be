// What the fuzz runs (test/fuzz.test.ts, scripts/fuzz.ts) found, each as the smallest input that showed it.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Database } from '../ts/duckdb/database';
import { IngestSummary, LogIngester, formatProblem } from '../ts/logs/ingest';
import { demoLog, demoRows, suiteTempDirs } from './helpers/logs';

describe('fuzz finds, fixed', () => {
  const tempDir = suiteTempDirs();

  /** Ingests `text` as demo.log into a fresh in-memory database: the problems, and the uids of the rows by time. */
  async function ingestDemo(text: string): Promise<{ file: string; summary: IngestSummary; uids: unknown[] }> {
    const file = join(tempDir(), 'demo.log');
    writeFileSync(file, text);
    const db = await Database.open(':memory:');
    try {
      const summary = await LogIngester.ingest(db, [file]);
      return { file, summary, uids: (await db.all('SELECT uid FROM demo ORDER BY ts')).map(r => r.uid) };
    } finally {
      db.close();
    }
  }

  // Found by the TSV ingest target: a data line whose last field was repeated 20,000 times, tab-separated, in a
  // gzipped conn.log; DuckDB's CSV reader, recording rejects, takes time quadratic in a line's extra fields
  // (1,000 extra: 5 s; 16,000: 98 s) and reported "found 24". Such lines are now checked by us, not DuckDB.
  for (const gzip of [false, true]) {
    it(`a line with 16,000 fields too many is named with its field count, the others ingested (${gzip ? 'gzip' : 'plain'})`, async () => {
      const dir = tempDir();
      const rows = demoRows(3, 0);
      const text = demoLog(rows).replace(`${rows[1].join('\t')}\n`, `${rows[1].join('\t')}${'\tx'.repeat(16000)}\n`);
      const file = join(dir, gzip ? 'demo.log.gz' : 'demo.log');
      writeFileSync(file, gzip ? gzipSync(text) : text);
      const db = await Database.open(':memory:');
      try {
        const summary = await LogIngester.ingest(db, [file]);
        // The header block is 8 lines (helpers/logs.ts demoLog): the second row is line 10.
        assert.deepEqual(summary.problems.map(formatProblem), [`error: ${file}:10: expected 5 fields, found 16005`]);
        assert.equal(summary.rows, 2);
        assert.deepEqual((await db.all('SELECT uid FROM demo ORDER BY ts')).map(r => r.uid), [rows[0][1], rows[2][1]]);
      } finally {
        db.close();
      }
    });
  }

  // Found by the TSV ingest target: a NUL byte in #path ended the SQL string the path went into, and DuckDB's
  // "Parser Error: unterminated quoted string" escaped ingest, losing every other file of the run.
  it('a raw NUL in a header line is named with its line, and the other files are still ingested', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.log'), demoLog(demoRows(2, 0)).replace('#path\tdemo', '#path\tde\0mo'));
    writeFileSync(join(dir, 'b.log'), demoLog(demoRows(3, 10)));
    const db = await Database.open(':memory:');
    try {
      const summary = await LogIngester.ingest(db, [dir]);
      assert.deepEqual(summary.problems.map(formatProblem), [`error: ${join(dir, 'a.log')}:5: header line holds a NUL byte`]);
      assert.equal(summary.rows, 3);
    } finally {
      db.close();
    }
  });

  // Found by the TSV ingest target: packet_filter.log with a 9-byte piece of its last line repeated 31,488 times,
  // each a line of one field. DuckDB records a reject per missing field of every bad line, ~50-90 µs each: 157,000
  // rejects, 31-81 s for 283 KB. Ingest now reads a file quietly first, and names many bad lines by its own checks.
  it('31,488 lines of one field under a header of five: the first 100 named by line, the rest counted, the good rows ingested, in bounded time', async function () {
    this.timeout(60_000); // the hang it was: 31-81 s on a 2-core machine, where the fixed ingest takes ~2 s
    const rows = demoRows(2, 0);
    const bad = Array(31488).fill('179tring');
    const { file, summary } = await ingestDemo(demoLog([rows[0], ...bad.map(b => [b]), rows[1]]));
    // The first data row is line 9: the bad lines are 10 .. 31497; the first 100 of a file are named, the rest counted.
    assert.equal(summary.problems.length, 101);
    summary.problems.slice(0, 100).forEach((p, i) => assert.equal(formatProblem(p), `error: ${file}:${10 + i}: expected 5 fields, found 1`));
    assert.equal(formatProblem(summary.problems[100]), `error: ${file}: 31388 more bad lines not named (31488 in all)`);
    assert.equal(summary.rows, 2);
  });
  // Found by the TSV line-check target: weird.log with a 7-byte piece repeated 20,963 times, one time field of
  // 178,614 digits that is not a number. The number pattern (\d+\.?\d*) could split a run of digits n ways, so a
  // failed match took time quadratic in its length: 38 s for that field. Now one way: \d+(\.\d*)?. Our checks see
  // every line when DuckDB's rejects would be too many (here 200 lines of one field).
  it('a time field of a million digits and a letter, among 200 bad lines: named by line and field, the good rows ingested', async function () {
    this.timeout(60_000); // the hang it was: 38 s for 178,614 digits, so about 20 minutes for these
    const rows = demoRows(3, 0);
    const digits = ['1056'.repeat(250_000) + 'x', ...rows[1].slice(1)];
    const { file, summary, uids } = await ingestDemo(demoLog([rows[0], digits, ...Array.from({ length: 200 }, () => ['179tring']), rows[1], rows[2]]));
    // The header block is 8 lines: the first row is line 9, the digits line 10, the one-field lines 11 .. 210.
    assert.equal(summary.problems.length, 101);
    assert.deepEqual([summary.problems[0].line, summary.problems[0].field], [10, 'ts']);
    summary.problems.slice(1, 100).forEach((p, i) => assert.equal(formatProblem(p), `error: ${file}:${11 + i}: expected 5 fields, found 1`));
    assert.equal(formatProblem(summary.problems[100]), `error: ${file}: 101 more bad lines not named (201 in all)`);
    assert.deepEqual(uids, [rows[0][1], rows[1][1], rows[2][1]]);
  });
  // Found by the TSV ingest target: http.log, gzipped, with 19,022 lines of "#empt" (a header line cut short, repeated)
  // and one bad data line. Read in place, every header line is a line DuckDB rejects (one reject per missing field):
  // 8 s for 115 KB. Now many header lines send the file to our own checks, and the copy they make has them blank.
  it('3,000,000 comment lines and one bad line: the bad line named, the good rows ingested, in bounded time', async function () {
    this.timeout(60_000); // the hang it was: 8 s for 19,022 such lines (gzipped http.log), 21 s for 400,000, minutes for these
    const rows = demoRows(2, 0);
    const lines = demoLog(rows).split('\n');
    // The header block is 8 lines: the first row is line 9, the comments 10 .. 3000009, the bad line 3000010.
    const { file, summary, uids } = await ingestDemo([...lines.slice(0, 9), '#empt\n'.repeat(3_000_000) + '179tring', ...lines.slice(9)].join('\n'));
    assert.deepEqual(summary.problems.map(p => [p.severity, p.file, p.line]), [['error', file, 3000010]]);
    assert.deepEqual(uids, [rows[0][1], rows[1][1]]);
  });
});
