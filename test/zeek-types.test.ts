import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { ContainerMapping, ScalarMapping, ZEEK_TYPES, typeTableRows } from '../ts/schema/zeek-types';
import { parseZeekType } from '../ts/schema/zeek-type';
import { arrowType, duckdbType } from '../ts/schema/mapping';
import { LogSchema } from '../ts/schema/log-schema';
import { createTableSql } from '../ts/schema/duckdb-table';
import { arrowSchema } from '../ts/schema/arrow-schema';
import { formatField } from '../ts/schema/zeek-format';
import { formatOf } from '../ts/arrow/c-data';
import { layoutSqlType, layoutType } from '../ts/input/reader-layout';
import { jsonLineCheck, tsvLineCheck } from '../ts/logs/line-check';
import { readTsvSql } from '../ts/logs/tsv-sql';
import { REPO } from './helpers/corpus';
import { removeDir, tempDir } from './helpers/logs';
import { describeWithZeek, runZeek } from './helpers/zeek';

const table = ZEEK_TYPES as unknown as Record<string, ScalarMapping | ContainerMapping>;

describe('the one table of Zeek types', () => {
  // A type the test makes up: held as a 32-bit count, printed in brackets, 'ok' its only good text.
  const fake: ScalarMapping = {
    ...ZEEK_TYPES.count, duckdb: 'UINTEGER', arrow: () => new arrow.Uint32(), tsvRead: 'UINTEGER', jsonRead: 'UINTEGER',
    format: v => `<${String(v)}>`, tsvOk: t => t === 'ok', jsonOk: v => v === 'ok',
    reader: { sql: 'UINTEGER', arrow: () => new arrow.Uint32() },
  };
  before(() => { table.fake = fake; });
  after(() => { delete table.fake; });

  it('every layer of TypeScript picks up a type added to it', () => {
    const scalar = parseZeekType('fake');
    const vector = parseZeekType('vector[fake]');
    assert.deepEqual([scalar, vector, parseZeekType('set[fake]')],
      [{ kind: 'scalar', name: 'fake' }, { kind: 'vector', element: 'fake' }, { kind: 'set', element: 'fake' }]);
    const schema = LogSchema.fromHeader('made_up', ['f', 'v'], ['fake', 'vector[fake]']);
    // DuckDB tables and Arrow batches.
    assert.deepEqual([duckdbType(scalar), duckdbType(vector)], ['UINTEGER', 'UINTEGER[]']);
    assert.equal(createTableSql(schema), 'CREATE TABLE IF NOT EXISTS "made_up" ("f" UINTEGER, "v" UINTEGER[])');
    assert.deepEqual([formatOf(arrowType(scalar)), formatOf(arrowType(vector))], ['I', '+l']);
    assert.deepEqual(arrowSchema(schema).fields.map(f => String(f.type)), ['Uint32', 'List<Uint32>']);
    // The reader layout.
    assert.deepEqual([layoutSqlType(scalar), layoutSqlType(vector), String(layoutType(vector))], ['UINTEGER', 'UINTEGER[]', 'List<Uint32>']);
    // Log text: the CSV reader's types, writing back, and the checks of lines.
    assert.deepEqual([formatField(7, scalar), formatField([1, 2], vector)], ['<7>', '<1>,<2>']);
    const header = { separator: '\t', setSeparator: ',', emptyField: '(empty)', unsetField: '-', fields: ['f', 'v'], types: ['fake', 'vector[fake]'] };
    assert.match(readTsvSql(['x.log'], header, schema, false), /columns=\{'c0': 'UINTEGER', 'c1': 'VARCHAR'\}/);
    const tsv = tsvLineCheck(header, schema);
    assert.deepEqual([tsv('ok\tok,ok'), tsv('ok\tok,no')], [undefined, { field: 'v', message: "'ok,no' is not a vector[fake]" }]);
    const json = jsonLineCheck(schema);
    assert.deepEqual([json('{"f":"ok"}'), json('{"f":1}')], [undefined, { field: 'f', message: '1 is not a fake' }]);
    // The rows the plugin checks its C++ against.
    assert.deepEqual(typeTableRows(formatOf).find(r => r.name === 'fake'),
      { name: 'fake', container: false, writer: 'I', reader: 'I', readerMicros: false });
  });

  it('a type not in it fails loudly, naming it', () => {
    delete table.fake;
    assert.throws(() => parseZeekType('fake'), /unsupported Zeek type 'fake'/);
    assert.throws(() => parseZeekType('vector[fake]'), /unsupported element type 'fake' in 'vector\[fake\]'/);
    assert.throws(() => LogSchema.fromHeader('made_up', ['f'], ['fake']), /unsupported Zeek type 'fake'/);
    table.fake = fake;
  });
});

describeWithZeek("the plugin's C++ checked against the table when it starts", zeek => {
  const work = tempDir();
  after(() => removeDir(work));

  /** Runs Zeek writing one log through the Arrow writer, with the compiled table changed by `change` (JS appended to it). */
  const runWithTable = (name: string, change: string) => {
    const root = join(work, name);
    cpSync(join(REPO, 'dist', 'ts'), join(root, 'dist', 'ts'), { recursive: true });
    for (const linked of ['node_modules', 'build', 'package.json']) symlinkSync(join(REPO, linked), join(root, linked));
    appendFileSync(join(root, 'dist', 'ts', 'schema', 'zeek-types.js'), `\n${change}\n`);
    const dir = join(root, 'run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'one.zeek'), `module One; export { redef enum Log::ID += { LOG }; type Info: record { c: count &log; }; }
event zeek_init() { Log::create_stream(LOG, [$columns=Info, $path="one"]); Log::write(LOG, Info($c=1)); }\n`);
    return runZeek(zeek, dir, ['one.zeek', 'Log::default_writer=Arrow'], { ZEEK_ARROW_ROOT: root });
  };

  it('a type Zeek does not have stops the start, naming it', () => {
    const r = runWithTable('fake', 'exports.ZEEK_TYPES.fake = exports.ZEEK_TYPES.count;');
    assert.match(r.stderr, /the plugin's C\+\+ disagrees with the table of Zeek types: Zeek type 'fake' of ts\/schema\/zeek-types.ts: Zeek has no type of that name/);
  });

  it("an Arrow type the writer does not build stops the start, naming the type", () => {
    const r = runWithTable('count', "exports.ZEEK_TYPES.count = { ...exports.ZEEK_TYPES.count, arrow: () => new (require('apache-arrow').Int64)() };");
    assert.match(r.stderr, /Zeek type 'count' of ts\/schema\/zeek-types.ts: writer: field 'count' \(count\) is mapped to Arrow format 'l', but the plugin builds 'L' for it/);
  });

  it('a reader layout the C++ reads otherwise stops the start, naming the type', () => {
    const r = runWithTable('interval', "exports.ZEEK_TYPES.interval = { ...exports.ZEEK_TYPES.interval, reader: { ...exports.ZEEK_TYPES.interval.reader, micros: false } };");
    assert.match(r.stderr, /Zeek type 'interval' of ts\/schema\/zeek-types.ts: reader: the plugin reads the layout 'l' as 0.000002 where TypeScript means 2\.0+/);
  });

  it('the table as built agrees with the plugin: the log is written', () => {
    const r = runWithTable('as-built', '');
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /disagrees/);
  });
});
