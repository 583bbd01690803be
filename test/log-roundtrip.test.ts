import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogTables } from '../ts/duckdb/log-tables';
import { LogIngester, formatProblem } from '../ts/logs/ingest';
import { formatLine } from '../ts/schema/zeek-format';
import { ident } from '../ts/schema/mapping';
import { fieldValues } from './helpers/tables';
import { traceLogDirs } from './helpers/corpus';

describe('TSV logs round-trip through DuckDB tables (whole corpus)', () => {
  let lines = 0;
  let files = 0;

  for (const dir of traceLogDirs('tsv')) {
    it(`every value of ${dir.split('/').pop()} formats back to Zeek's text`, async () => {
      const db = await Database.open(':memory:');
      try {
        const summary = await LogIngester.ingest(db, [dir]);
        assert.deepEqual(summary.problems.map(formatProblem), []);
        const tables = await LogTables.open(db);
        for (const name of readdirSync(dir).filter(n => n.endsWith('.log')).sort()) {
          const text = readFileSync(join(dir, name), 'utf8');
          const data = text.split('\n').filter(l => l !== '' && !l.startsWith('#'));
          const path = /^#path\t(.*)$/m.exec(text)![1];
          const schema = tables.schemaOf(path)!;
          const rows = await db.all(`SELECT * FROM ${ident(tables.tableOf(path))}`);
          assert.equal(rows.length, data.length, `${name}: one row per log line`);
          const types = schema.fields.map(f => f.type);
          // Files load in parallel, so rows come in any order: compare the lines as multisets.
          const written = rows.map(row => formatLine(fieldValues(row, schema), types)).sort();
          assert.deepEqual(written, [...data].sort(), name);
          lines += data.length;
          files++;
        }
      } finally {
        db.close();
      }
    });
  }

  after(() => console.log(`      round-tripped ${lines} log lines in ${files} TSV files`));
});
