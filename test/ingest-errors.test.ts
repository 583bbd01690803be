import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Database } from '../ts/duckdb/database';
import { IngestSummary, LogIngester, formatProblem } from '../ts/logs/ingest';
import { demoLog, demoRows, suiteTempDirs } from './helpers/logs';

describe('ingesting bad input', () => {
  const tempDir = suiteTempDirs();
  let dir: string;
  let summary: IngestSummary;
  let db: Database;
  let messages: string[];

  before(async () => {
    dir = tempDir();
    writeFileSync(join(dir, 'good.log'), demoLog(demoRows(5, 0, 'G')));
    const big = demoLog(demoRows(4000, 100, 'T'));
    const gz = gzipSync(Buffer.from(big));
    writeFileSync(join(dir, 'truncated.log.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    const short = demoRows(3, 10000, 'F');
    short[1] = short[1].slice(0, 2);
    writeFileSync(join(dir, 'too-few.log'), demoLog(short));
    const wrong = demoRows(3, 20000, 'W');
    wrong[2][3] = 'abc';
    writeFileSync(join(dir, 'wrong-type.log'), demoLog(wrong));
    const badSet = demoRows(3, 30000);
    writeFileSync(join(dir, 'no-header.log'), badSet.map(r => r.join('\t')).join('\n') + '\n');
    symlinkSync(join(dir, 'does-not-exist'), join(dir, 'unreadable.log'));
    db = await Database.open(':memory:');
    summary = await LogIngester.ingest(db, [dir]);
    messages = summary.problems.map(formatProblem);
  });
  after(() => db.close());

  /** Byte offset where a (1-based) line of a file starts. */
  const lineStart = (file: string, line: number) =>
    Buffer.byteLength(readFileSync(join(dir, file), 'utf8').split('\n').slice(0, line - 1).join('\n') + '\n');

  const rowsOf = async (uidPrefix: string) =>
    Number((await db.all(`SELECT count(*) AS n FROM demo WHERE uid LIKE '${uidPrefix}%'`))[0].n);

  it('names file and line of a line with too few fields, and keeps the others', async () => {
    assert.ok(messages.includes(`error: ${join(dir, 'too-few.log')}:10 (byte ${lineStart('too-few.log', 10)}): expected 5 fields, found 2`),
      messages.join('\n'));
    assert.equal(await rowsOf('F'), 2);
  });

  it('names file, line and field of a wrong type', async () => {
    assert.ok(messages.includes(`error: ${join(dir, 'wrong-type.log')}:11 (byte ${lineStart('wrong-type.log', 11)}): field 'n': 'abc' is not a count`),
      messages.join('\n'));
    assert.equal(await rowsOf('W'), 2);
  });

  it('names a log with no header', () => {
    assert.ok(messages.includes(`error: ${join(dir, 'no-header.log')}:1: no #fields/#types header: not a Zeek log`), messages.join('\n'));
  });

  it('names an unreadable file', () => {
    assert.ok(messages.includes(`error: ${join(dir, 'unreadable.log')}: cannot read: ENOENT: no such file or directory`), messages.join('\n'));
  });

  it('names where a truncated gzip ends and ingests the lines before it', async () => {
    const problem = summary.problems.find(p => p.file.endsWith('truncated.log.gz'))!;
    assert.match(problem.message, /^gzip data ends early \(unexpected end of file\) at compressed byte \d+; the lines before it are ingested$/);
    // every line before the one the gzip data breaks off in, after the 8 header lines
    assert.ok(problem.line! > 1000 && problem.line! < 4000, String(problem.line));
    assert.equal(await rowsOf('T'), problem.line! - 1 - 8);
    const last = (await db.all(`SELECT max(n) AS n FROM demo WHERE uid LIKE 'T%'`))[0].n;
    assert.equal(last, BigInt(100 + problem.line! - 1 - 8 - 1));
  });

  it('still ingests the good file whole', async () => {
    assert.deepEqual((await db.all(`SELECT n FROM demo WHERE uid LIKE 'G%' ORDER BY n`)).map(r => r.n), [0n, 1n, 2n, 3n, 4n]);
    assert.equal(summary.filesIngested, 4);
  });

  it('does not ingest the same content twice, plain or gzipped', async () => {
    const again = tempDir();
    copyFileSync(join(dir, 'good.log'), join(again, 'copy.log'));
    writeFileSync(join(again, 'copy.log.gz'), gzipSync(readFileSync(join(dir, 'good.log'))));
    const second = await LogIngester.ingest(db, [again, dir]);
    assert.equal(second.filesIngested, 0);
    assert.equal(second.rows, 0);
    assert.equal(second.filesSkipped, 6);
  });
});

describe('ingesting rotated and concatenated logs', () => {
  const tempDir = suiteTempDirs();
  it('reads every section of a file, also when the fields change between sections', async () => {
    const dir = tempDir();
    const first = demoLog(demoRows(3, 0));
    const second = demoLog(demoRows(2, 3));
    const changed = [
      '#separator \\x09', '#set_separator\t;', '#empty_field\tEMPTY', '#unset_field\tNONE', '#path\tdemo', '#open\t2026-11-23-13-00-00',
      '#fields\tts\tuid\textra', '#types\ttime\tstring\tvector[count]',
      '1700000100.500000\tX1\t1;2;3', '1700000101.000000\tX2\tEMPTY', '1700000102.000000\tNONE\tNONE', '#close\t2026-11-23-13-00-01',
    ].join('\n') + '\n';
    writeFileSync(join(dir, 'demo.log'), first + second + changed);
    const db = await Database.open(':memory:');
    try {
      const summary = await LogIngester.ingest(db, [dir]);
      assert.deepEqual(summary.problems.map(formatProblem), []);
      assert.equal(summary.rows, 8);
      const rows = await db.all(`SELECT uid, n, tags, extra FROM demo ORDER BY ts`);
      assert.deepEqual(rows.map(r => [r.uid, r.n, String(r.tags), String(r.extra)]), [
        ['C0', 0n, '[]', 'null'], ['C1', 1n, "['a', 'b']", 'null'], ['C2', 2n, '[]', 'null'],
        ['C3', 3n, '[]', 'null'], ['C4', 4n, "['a', 'b']", 'null'],
        ['X1', null, 'null', '[1, 2, 3]'], ['X2', null, 'null', '[]'], [null, null, 'null', 'null'],
      ]);
    } finally {
      db.close();
    }
  });
});
