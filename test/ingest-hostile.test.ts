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
