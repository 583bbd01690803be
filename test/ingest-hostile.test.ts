import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { IngestSummary, LogIngester, formatProblem } from '../ts/logs/ingest';
import { exportLogs } from '../ts/logs/export';
import { ParquetSink } from '../ts/sinks';
import { demoLog, demoRows, tempDir } from './helpers/logs';

// Logs come from sensors and from other people: each case here is a file the
// test writes with known content, next to good files that must still go in.

const HEADER = (path: string, fields: string[], types: string[]) => [
  '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-',
  `#path\t${path}`, '#open\t2026-11-23-12-00-00', `#fields\t${fields.join('\t')}`, `#types\t${types.join('\t')}`,
].join('\n') + '\n';

/** A log of every number type: ts time, uid, dur interval, n count, i int, d double. */
const numbersLog = (rows: string[][]) => HEADER('numbers', ['ts', 'uid', 'dur', 'n', 'i', 'd'],
  ['time', 'string', 'interval', 'count', 'int', 'double']) + rows.map(r => r.join('\t')).join('\n') + '\n';

const good = (uid: string) => ['1700000000.000001', uid, '1.500000', '7', '-7', '0.25'];

async function ingest(dir: string): Promise<{ db: Database; summary: IngestSummary; messages: string[] }> {
  const db = await Database.open(':memory:');
  const summary = await LogIngester.ingest(db, [dir]);
  return { db, summary, messages: summary.problems.map(formatProblem) };
}

describe('ingest: one bad value loses only its line', () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, number, string][] = [
    ['ts', 0, '1e400'], ['ts', 0, 'nan'], ['ts', 0, '1e18'], ['ts', 0, 'inf'], ['dur', 2, '1e30'], ['dur', 2, '-nan'],
    ['n', 3, '1e3'], ['n', 3, '18446744073709551616'], ['i', 4, '9223372036854775808'], ['d', 5, '1x'],
  ];
  const types: Record<string, string> = { ts: 'time', dur: 'interval', n: 'count', i: 'int', d: 'double' };

  it('TSV: each bad value is named by file, line and field; the other lines go in', async () => {
    const rows = [good('A0')];
    for (const [field, at, value] of cases) {
      const row = good(`B${rows.length}`);
      row[at] = value;
      rows.push(row, good(`A${rows.length + 1}`));
    }
    writeFileSync(join(dir, 'numbers.log'), numbersLog(rows));
    const { db, summary, messages } = await ingest(dir);
    try {
      const file = join(dir, 'numbers.log');
      const expected = cases.map(([field, , value], k) =>
        `error: ${file}:${8 + 2 + 2 * k}: field '${field}': '${value}' is not a ${types[field]}`);
      assert.deepEqual(messages, expected);
      assert.equal(summary.filesIngested, 1);
      const uids = (await db.all('SELECT uid FROM numbers ORDER BY uid')).map(r => String(r.uid));
      assert.deepEqual(uids, rows.filter(r => r[1].startsWith('A')).map(r => r[1]).sort());
    } finally {
      db.close();
      rmSync(join(dir, 'numbers.log'));
    }
  });

  it('JSON: a ts of 1e400 or 1e18, a duration of 1e30 are named; the other records go in', async () => {
    const records = [
      { _path: 'conn', ts: 1700000000.5, uid: 'J0', duration: 1.5 },
      { _path: 'conn', ts: 1e400, uid: 'J1' },
      { _path: 'conn', ts: 1700000001.5, uid: 'J2' },
      { _path: 'conn', ts: 1e18, uid: 'J3' },
      { _path: 'conn', ts: 1700000002.5, uid: 'J4', duration: 1e30 },
      { _path: 'conn', ts: 1700000003.5, uid: 'J5', orig_bytes: 2 ** 70 },
      { _path: 'conn', ts: 1700000004.5, uid: 'J6' },
    ];
    // JSON.stringify writes Infinity as null: write the number as text.
    const text = records.map(r => JSON.stringify(r).replace('null', '1e400')).join('\n') + '\n';
    writeFileSync(join(dir, 'conn.json'), text);
    const { db, messages } = await ingest(dir);
    try {
      const file = join(dir, 'conn.json');
      assert.deepEqual(messages.filter(m => m.startsWith('error')), [
        `error: ${file}:2: field 'ts': Infinity is not a time`,
        `error: ${file}:4: field 'ts': 1000000000000000000 is not a time`,
        `error: ${file}:5: field 'duration': 1e+30 is not a interval`,
        `error: ${file}:6: field 'orig_bytes': 1.1805916207174113e+21 is not a count`,
      ]);
      const uids = (await db.all('SELECT uid FROM conn ORDER BY uid')).map(r => String(r.uid));
      assert.deepEqual(uids, ['J0', 'J2', 'J6']);
    } finally {
      db.close();
      rmSync(join(dir, 'conn.json'));
    }
  });
});

describe('ingest: one bad file does not stop the run', () => {
  it('names an empty #path and two paths that clean to one table name; ingests the rest', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'a-empty.log'), demoLog(demoRows(2, 0, 'E'), ''));
      writeFileSync(join(dir, 'b-first.log'), demoLog(demoRows(2, 10, 'X'), 'x-y'));
      writeFileSync(join(dir, 'c-second.log'), demoLog(demoRows(2, 20, 'Z'), 'x_y'));
      writeFileSync(join(dir, 'd-good.log'), demoLog(demoRows(3, 30, 'G')));
      const { db, summary, messages } = await ingest(dir);
      try {
        assert.deepEqual(messages, [
          `error: ${join(dir, 'a-empty.log')}:8: the log path is empty: no table name`,
          `error: ${join(dir, 'c-second.log')}:8: logs 'x-y' and 'x_y' would share the table 'x_y'`,
        ]);
        assert.deepEqual(summary.rowsByLog, { 'x-y': 2, demo: 3 });
        assert.deepEqual((await db.all('SELECT uid FROM x_y ORDER BY uid')).map(r => r.uid), ['X10', 'X11']);
        const tables = (await db.all(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' ORDER BY 1`)).map(r => r.table_name);
        assert.deepEqual(tables, ['demo', 'x_y']);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ingest: no silent wrong rows', () => {
  it('routes each JSON record by its own _path', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'mixed.json'), [
        { _path: 'conn', ts: 1700000000.5, uid: 'C1', proto: 'tcp' },
        { _path: 'dns', ts: 1700000001.5, uid: 'D1', query: 'example.org' },
        { _path: 'conn', ts: 1700000002.5, uid: 'C2', proto: 'udp' },
      ].map(r => JSON.stringify(r)).join('\n') + '\n');
      const { db, summary, messages } = await ingest(dir);
      try {
        assert.deepEqual(messages, []);
        assert.deepEqual(summary.rowsByLog, { conn: 2, dns: 1 });
        assert.deepEqual((await db.all('SELECT uid, proto FROM conn ORDER BY uid')).map(r => [r.uid, r.proto]), [['C1', 'tcp'], ['C2', 'udp']]);
        assert.deepEqual((await db.all('SELECT uid, query FROM dns')).map(r => [r.uid, r.query]), [['D1', 'example.org']]);
        const connColumns = (await db.all(`SELECT column_name FROM duckdb_columns() WHERE table_name = 'conn'`)).map(r => r.column_name);
        assert.ok(!connColumns.includes('query'), connColumns.join(','));
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a TSV last line without its newline as cut (file, line, byte), and does not store it', async () => {
    const dir = tempDir();
    try {
      const whole = demoLog(demoRows(3, 0, 'K')).replace('#close\t2026-11-23-12-00-01\n', '');
      const cutAt = whole.length - 3; // inside the last field of the last line, no newline after it
      writeFileSync(join(dir, 'cut.log'), whole.slice(0, cutAt));
      const big = demoLog(demoRows(3, 10, 'L')).replace('#close\t2026-11-23-12-00-01\n', '');
      // A second header makes this one go alone, by the other way in.
      const beforeCut = big + '#fields\tts\n#types\ttime\n';
      writeFileSync(join(dir, 'alone.log'), beforeCut + '1700000000.000000');
      const { db, messages } = await ingest(dir);
      try {
        const lastLineStart = whole.lastIndexOf('\n', whole.length - 2) + 1;
        assert.ok(messages.includes(`error: ${join(dir, 'cut.log')}:11 (byte ${lastLineStart}): last line is cut (no newline at its end): not stored`),
          messages.join('\n'));
        assert.deepEqual((await db.all(`SELECT uid FROM demo WHERE uid LIKE 'K%' ORDER BY uid`)).map(r => r.uid), ['K0', 'K1']);
        assert.ok(messages.includes(`error: ${join(dir, 'alone.log')}:14 (byte ${beforeCut.length}): last line is cut (no newline at its end): not stored`),
          messages.join('\n'));
        assert.equal(messages.length, 2, messages.join('\n'));
        assert.deepEqual((await db.all(`SELECT uid FROM demo WHERE uid LIKE 'L%' ORDER BY uid`)).map(r => r.uid), ['L10', 'L11', 'L12']);
        assert.equal((await db.all(`SELECT count(*) AS n FROM demo WHERE uid IS NULL`))[0].n, 0n);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('export: output names from the table, never from the path in the file', () => {
  it('a #path of ../../x is written as a file inside --out; a 200,000-byte #path and conn_packets are refused at ingest', async () => {
    const dir = tempDir();
    const out = tempDir();
    try {
      writeFileSync(join(dir, 'escape.log'), demoLog(demoRows(2, 0, 'U'), '../../zeek-arrow-test-escaped'));
      writeFileSync(join(dir, 'long.log'), demoLog(demoRows(2, 10, 'V'), 'p'.repeat(200_000)));
      writeFileSync(join(dir, 'reserved.log'), demoLog(demoRows(2, 20, 'W'), 'conn_packets'));
      writeFileSync(join(dir, 'good.log'), demoLog(demoRows(2, 30, 'G')));
      const { db, messages } = await ingest(dir);
      try {
        assert.deepEqual(messages.sort(), [
          `error: ${join(dir, 'long.log')}:8: the log path is 200000 bytes: table names are at most 200 bytes`,
          `error: ${join(dir, 'reserved.log')}:8: log 'conn_packets' would take the table name 'conn_packets', which zeek-arrow keeps for its own tables`,
        ]);
        const sink = new ParquetSink(out);
        const problems: string[] = [];
        const rows = await exportLogs(db, sink, undefined, problems);
        await sink.close();
        assert.deepEqual(problems, []);
        assert.deepEqual(rows, { '../../zeek-arrow-test-escaped': 2, demo: 2 });
        assert.deepEqual(readdirSync(out).filter(f => !f.startsWith('.')).sort(), ['______zeek_arrow_test_escaped.parquet', 'demo.parquet']);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('caps a bad value quoted in a message: 80 characters and its size', async () => {
    const dir = tempDir();
    try {
      const rows = demoRows(2, 0, 'M');
      rows[1][3] = '9'.repeat(100) + 'x'.repeat(1_000_000);
      writeFileSync(join(dir, 'huge.log'), demoLog(rows));
      const { db, messages } = await ingest(dir);
      try {
        assert.equal(messages.length, 1);
        assert.match(messages[0], new RegExp(`^error: .*huge\\.log:10 \\(byte \\d+\\): field 'n': '${'9'.repeat(80)}… \\(1000100 bytes\\)' is not a count$`));
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
