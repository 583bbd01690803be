import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogTables } from '../ts/duckdb/log-tables';
import { LogIngester, formatProblem } from '../ts/logs/ingest';
import { formatLine } from '../ts/schema/zeek-format';
import { literal } from '../ts/schema/mapping';
import { REPO } from './helpers/corpus';
import { removeDir, tempDir } from './helpers/logs';
import { fieldValues } from './helpers/tables';
import { arrowFileTable, dbFile, difference, parquetRelation, rowsOf } from './helpers/compare';
import { describeWithZeek, runZeek } from './helpers/zeek';

const SCRIPT = join(REPO, 'test', 'zeek', 'all-types.zeek');

describeWithZeek('every loggable type and its edges through the Arrow writer', zeek => {
  const work = tempDir();
  let db: Database;
  let tables: LogTables;
  const run = (name: string, ...args: string[]) => {
    const dir = join(work, name);
    mkdirSync(dir);
    const r = runZeek(zeek, dir, ['-D', SCRIPT, ...args]);
    assert.equal(r.status, 0, r.stderr);
    return dir;
  };

  before(async () => {
    const ascii = run('ascii');
    const arrowDir = run('duckdb', 'Log::default_writer=Arrow');
    run('parquet', 'Log::default_writer=Log::WRITER_ARROW', 'LogArrow::sink=parquet');
    run('arrow', 'Log::default_writer=Arrow', 'LogArrow::sink=arrow');
    db = await Database.open(join(work, 'ascii.duckdb'));
    const summary = await LogIngester.ingest(db, [join(ascii, 'all_types.log')]);
    assert.deepEqual(summary.problems.map(formatProblem), []);
    tables = await LogTables.open(db);
    await db.run(`ATTACH ${literal(dbFile(arrowDir))} AS arrow (READ_ONLY)`);
  });
  after(() => db?.close());
  after(() => removeDir(work));

  it('gives the table ingestion gives from the ASCII log, in DuckDB, Parquet and Arrow IPC', async () => {
    const schema = tables.schemaOf('all_types')!;
    const rows = (relation: string) => rowsOf('all_types', schema, relation);
    assert.deepEqual(await difference(db, rows('all_types'), rows('arrow.all_types')), [0, 0], 'DuckDB');
    assert.deepEqual(await difference(db, rows('all_types'), rows(parquetRelation(schema, join(work, 'parquet', 'all_types.parquet')))), [0, 0], 'Parquet');
    const ipc = await arrowFileTable(db, schema, join(work, 'arrow', 'all_types.arrows'), 'ipc_all_types');
    assert.deepEqual(await difference(db, rows('all_types'), rows(ipc)), [0, 0], 'Arrow IPC');
    assert.equal(Number((await db.all('SELECT count(*) AS n FROM arrow.all_types'))[0].n), 16);
  });

  it('writes back, from the ingested table, every line of the ASCII log', async () => {
    const schema = tables.schemaOf('all_types')!;
    const lines = readFileSync(join(work, 'ascii', 'all_types.log'), 'utf8').split('\n').filter(l => l && !l.startsWith('#'));
    const rows = await db.all('SELECT * FROM all_types ORDER BY "row"');
    const written = rows.map(r => formatLine(fieldValues(r, schema), schema.fields.map(f => f.type)));
    // Zeek's own text for doubles is not always readable back: it writes 1e-7 as "0" but an
    // exact 0 as "0.0", so the 0 read from row 14 is written back as "0.0".
    const row14 = lines[13].split('\t');
    assert.equal(row14[4], '0');
    row14[4] = '0.0';
    assert.deepEqual(written, [...lines.slice(0, 13), row14.join('\t'), ...lines.slice(14)]);
  });

  it('keeps what the ASCII writer rounds or escapes, as the values Zeek had', async () => {
    const value = async (row: number, column: string) =>
      (await db.all(`SELECT ${column} AS v FROM arrow.all_types WHERE "row" = ${row}`))[0].v;
    assert.equal(await value(15, 'd'), 123456789.12345679);
    assert.equal(await value(14, 'd'), 1e-7);
    assert.equal(await value(1, 'c'), 18446744073709551615n);
    assert.equal(await value(13, 'i'), -9223372036854775807n);
    assert.equal(await value(6, 's'), 'tab\there, comma, pipe|semi;');
    assert.equal(await value(7, 's'), 'nul\\x00byte and bell\\x07');
    assert.equal(await value(8, 's'), 'bad \\xff\\xfe utf8 and caf\\xc3\\xa9');
    assert.equal(await value(9, 's'), 'café € fine');
    assert.equal(await value(10, 's'), 'C:\\back\\slash \\x41 literal');
    assert.equal(await value(12, 's'), 'line\nbreak\r\n');
    assert.equal(await value(4, 's'), '-');
    assert.equal(await value(5, 's'), '(empty)');
    assert.equal(await value(3, 's'), '');
    assert.equal(await value(2, 's'), null);
    const json = async (row: number, sql: string) => String(await value(row, `to_json(${sql})::VARCHAR`));
    assert.equal(await json(3, 'ss'), '[]');
    assert.equal(await value(2, 'ss'), null);
    assert.equal(await json(4, 'vs'), '["-","(empty)",""]');
    assert.equal(await json(12, 'vs'), '[null,null,"third"]');
    assert.equal(await json(1, 'va'), '["1.2.3.4","2001:db8::1"]');
    assert.equal(await value(14, 'a'), '192.168.1.1');
    assert.equal(await value(13, 'sn'), '2001:db8::/32');
    assert.equal(await value(14, 'sn'), '192.168.0.0/16');
    assert.equal(await value(15, 'p'), 0);
    assert.equal(await value(13, 'p'), 8);
    assert.equal(await value(14, 'e'), 'unknown_transport');
    assert.equal(await json(1, '"inner"'), '{"n":7,"label":"in","deeper":{"flag":false}}');
    assert.equal(await json(2, '"inner"'), '{"n":null,"label":null,"deeper":{"flag":null}}');
    assert.equal(await value(1, 'epoch_us(iv)'), -1500000n);
    assert.equal(await json(1, 'list_transform(vi, x -> epoch_us(x))'), '[1000000,-2]');
    assert.equal(await value(14, 'epoch_us(t)'), -1250000n);
    assert.equal(await value(1, 'epoch_us(t)'), 1700000000123456n);
  });
});
