import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogTables } from '../ts/duckdb/log-tables';
import { LogIngester, formatProblem } from '../ts/logs/ingest';
import { ident, literal } from '../ts/schema/mapping';
import { arrowFileTable, difference, parquetRelation, rowsOf } from './helpers/compare';
import { corpusPath } from './helpers/corpus';
import { suiteTempDirs } from './helpers/logs';
import { describeWithZeek, readableCapture, runZeek } from './helpers/zeek';

// A BPF filter taking over 100 ms of wall time to compile (a loaded machine) raises a notice in one run and not the
// other: the bound is lifted so both runs write the same logs.
const SCRIPTS = ['policy/protocols/conn/community-id-logging', 'PacketFilter::max_filter_compile_time=3600sec'];

describeWithZeek('the Arrow writer writes what the ASCII writer writes, for every corpus trace', zeek => {
  const tempDir = suiteTempDirs('afterEach');
  const manifest = readFileSync(corpusPath('pcaps', 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map(l => l.split('\t')[0]);
  let tables = 0;
  let rows = 0;

  for (const trace of manifest) {
    it(trace, async () => {
      const work = tempDir();
      const capture = readableCapture(corpusPath('pcaps', trace), work);
      const run = (name: string, ...args: string[]) => {
        const dir = join(work, name);
        mkdirSync(dir);
        const r = runZeek(zeek, dir, ['-C', '-D', '-r', capture, ...SCRIPTS, ...args]);
        assert.ok(!/zeek-arrow|Arrow writer|internal error/i.test(r.stderr), `${name}: ${r.stderr}`);
        return dir;
      };
      const ascii = run('ascii');
      const duck = run('duckdb', 'Log::default_writer=Arrow');
      const parquet = run('parquet', 'Log::default_writer=Arrow', 'LogArrow::sink=parquet');
      const ipc = run('arrow', 'Log::default_writer=Arrow', 'LogArrow::sink=arrow');

      const db = await Database.open(join(work, 'ascii.duckdb'));
      try {
        const summary = await LogIngester.ingest(db, [ascii]);
        assert.deepEqual(summary.problems.filter(p => p.severity === 'error').map(formatProblem), []);
        const logs = await LogTables.open(db);
        const written = readdirSync(ascii).filter(f => f.endsWith('.log')).map(f => f.replace(/\.log$/, '')).sort();
        assert.deepEqual(logs.logPaths(), written);
        await db.run(`ATTACH ${literal(join(duck, 'logs.duckdb'))} AS arrow (READ_ONLY)`);
        const arrowTables = (await db.all(`SELECT table_name AS t FROM duckdb_tables() WHERE database_name = 'arrow' AND schema_name = 'main'`)).map(r => String(r.t)).sort();
        assert.deepEqual(arrowTables, written.map(p => logs.tableOf(p)).sort(), 'the same logs');
        assert.deepEqual(readdirSync(parquet).filter(f => f.endsWith('.parquet')).sort(), written.map(p => `${p}.parquet`));
        assert.deepEqual(readdirSync(ipc).filter(f => f.endsWith('.arrows')).sort(), written.map(p => `${p}.arrows`));

        for (const path of written) {
          const schema = logs.schemaOf(path)!;
          const table = ident(logs.tableOf(path));
          const from = (relation: string) => rowsOf(path, schema, relation);
          assert.deepEqual(await difference(db, from(table), from(`arrow.${table}`)), [0, 0], `${path}: DuckDB`);
          assert.deepEqual(await difference(db, from(table), from(parquetRelation(schema, join(parquet, `${path}.parquet`)))),
            [0, 0], `${path}: Parquet`);
          const copy = await arrowFileTable(db, schema, join(ipc, `${path}.arrows`), `ipc_${logs.tableOf(path)}`);
          assert.deepEqual(await difference(db, from(table), from(copy)), [0, 0], `${path}: Arrow IPC`);

          tables++;
          rows += Number((await db.all(`SELECT count(*) AS n FROM ${table}`))[0].n);
        }
      } finally {
        db.close();
      }
    });
  }

  after(() => console.log(`      ${tables} log tables, ${rows} rows: equal through DuckDB, Parquet and Arrow IPC`));
});
