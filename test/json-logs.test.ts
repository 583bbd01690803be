import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogTables } from '../ts/duckdb/log-tables';
import { LogIngester, formatProblem } from '../ts/logs/ingest';
import { catalogSchema } from '../ts/logs/json-schema';
import { ident, literal } from '../ts/schema/mapping';
import { zeekTypeName } from '../ts/schema/zeek-type';
import { traceLogDirs } from './helpers/corpus';
import { suiteTempDirs } from './helpers/logs';
import { tableDifference } from './helpers/tables';

describe('the catalog of Zeek 8.0 log schemas', () => {
  it('agrees with every #fields/#types header of the corpus logs', () => {
    let checked = 0;
    for (const dir of traceLogDirs('tsv')) {
      for (const name of readdirSync(dir).filter(n => n.endsWith('.log'))) {
        const text = readFileSync(join(dir, name), 'utf8');
        const path = /^#path\t(.*)$/m.exec(text)![1];
        const fields = /^#fields\t(.*)$/m.exec(text)![1].split('\t');
        const types = /^#types\t(.*)$/m.exec(text)![1].split('\t');
        const known = catalogSchema(path);
        assert.ok(known, `no catalog entry for '${path}'`);
        assert.deepEqual(known.fields.map(f => `${f.name}:${zeekTypeName(f.type)}`),
          fields.map((f, i) => `${f}:${types[i]}`), `${basename(dir)}/${name}`);
        assert.equal(known.path, path);
        checked++;
      }
    }
    assert.equal(checked, 223);
  });
});

describe('JSON logs ingest to the same tables as the TSV logs of the same traces', () => {
  const tempDir = suiteTempDirs('afterEach');
  for (const jsonDir of traceLogDirs('json')) {
    const trace = basename(jsonDir);
    it(trace, async () => {
      const work = tempDir();
      const tsv = await Database.open(join(work, 'tsv.duckdb'));
      const tsvSummary = await LogIngester.ingest(tsv, [jsonDir.replace(/\/json\//, '/tsv/')]);
      tsv.close();
      const db = await Database.open(join(work, 'json.duckdb'));
      try {
        const summary = await LogIngester.ingest(db, [jsonDir]);
        assert.deepEqual(summary.problems.map(formatProblem), []);
        assert.deepEqual(summary.rowsByLog, tsvSummary.rowsByLog);
        await db.run(`ATTACH ${literal(join(work, 'tsv.duckdb'))} AS tsv (READ_ONLY)`);
        const tables = await LogTables.open(db);
        for (const path of tables.logPaths()) {
          const table = ident(tables.tableOf(path));
          // What Zeek logs before it reads the first packet (packet_filter, start-up warnings in
          // reporter) carries the wall-clock time of the run: the TSV and JSON runs differ there.
          const wallClock = path === 'packet_filter' || path === 'reporter';
          const rows = (from: string) => wallClock ? `(SELECT * EXCLUDE (ts) FROM ${from})` : from;
          assert.deepEqual(await tableDifference(db, rows(`tsv.${table}`), rows(table)), { onlyA: 0, onlyB: 0 }, `${trace}: ${path}`);
        }
      } finally {
        db.close();
      }
    });
  }
});
