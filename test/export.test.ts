import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { Database } from '../ts/duckdb/database';
import { LogTables } from '../ts/duckdb/log-tables';
import { ArrowAppender } from '../ts/duckdb/bridge';
import { LogIngester } from '../ts/logs/ingest';
import { exportLogs } from '../ts/logs/export';
import { ArrowIpcSink, ParquetSink } from '../ts/sinks';
import { arrowSchema, parquetReadSelectList } from '../ts/schema/arrow-schema';
import { createTableSql } from '../ts/schema/duckdb-table';
import { ident, literal } from '../ts/schema/mapping';
import { corpusPath } from './helpers/corpus';
import { removeDir, tempDir } from './helpers/logs';
import { tableDifference } from './helpers/tables';

describe('export to Parquet and Arrow IPC reads back with equal rows', () => {
  let db: Database;
  let tables: LogTables;
  const out = tempDir();
  let parquetRows: Record<string, number>;
  let arrowRows: Record<string, number>;

  before(async () => {
    db = await Database.open(join(out, 'logs.duckdb'));
    const summary = await LogIngester.ingest(db, [corpusPath('zeek-logs', 'tsv')]);
    assert.equal(summary.rows, 2886);
    tables = await LogTables.open(db);
    const parquet = new ParquetSink(join(out, 'parquet'));
    parquetRows = await exportLogs(db, parquet);
    await parquet.close();
    arrowRows = await exportLogs(db, new ArrowIpcSink(join(out, 'arrow')));
  });
  after(() => db.close());
  after(() => removeDir(out));

  it('writes every log table', () => {
    assert.equal(Object.keys(parquetRows).length, 25);
    assert.deepEqual(arrowRows, parquetRows);
    assert.equal(Object.values(parquetRows).reduce((a, b) => a + b, 0), 2886);
  });

  it('Parquet files read by DuckDB equal the tables', async () => {
    for (const path of tables.logPaths()) {
      const schema = tables.schemaOf(path)!;
      const file = literal(join(out, 'parquet', `${path}.parquet`));
      const back = `(SELECT ${parquetReadSelectList(schema)} FROM read_parquet(${file}))`;
      assert.deepEqual(await tableDifference(db, ident(tables.tableOf(path)), back), { onlyA: 0, onlyB: 0 }, path);
    }
  });

  it('Arrow IPC files read by apache-arrow equal the tables', async () => {
    for (const path of tables.logPaths()) {
      const schema = tables.schemaOf(path)!;
      const table = arrow.tableFromIPC(readFileSync(join(out, 'arrow', `${path}.arrows`)));
      assert.equal(table.numRows, parquetRows[path], path);
      assert.equal(table.schema.metadata.get('zeek.path'), path);
      assert.equal(String(table.schema.fields.map(f => f.type)), String(arrowSchema(schema).fields.map(f => f.type)));
      const copy = `back_${tables.tableOf(path)}`;
      await db.run(createTableSql(schema, copy));
      const appender = new ArrowAppender(db.connection, copy, table.schema);
      for (const batch of table.batches) appender.append(batch);
      appender.close();
      assert.deepEqual(await tableDifference(db, ident(tables.tableOf(path)), ident(copy)), { onlyA: 0, onlyB: 0 }, path);
    }
  });
});
