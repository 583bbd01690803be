import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { formatDouble, formatMicros, zeekMicros } from '../ts/schema/zeek-text';
import { literal } from '../ts/schema/sql-text';
import { removeDir, tempDir } from './helpers/logs';
import { dbFile } from './helpers/compare';
import { describeWithZeek, runZeek } from './helpers/zeek';

/**
 * Zeek's text that is not the µs rounded as modp_dtoa means to: an exact half below a carry
 * (999999.5 µs) prints its fraction as 1000000, "0.1000000" (modp_dtoa adds 1 without the
 * carry). Every layer here keeps the value Zeek had, rounded: 1 s, not the 0.1 s of that text.
 */
const CARRY = '0.9999995';
/** Below INT_MAX, so printed with 6 decimals; its µs (INT_MAX s) alone are printed in exponent form. */
const BELOW_INT_MAX = '2147483646.9999995';

// The one test vector of Zeek's text for double, time and interval: the edges of the
// types test (test/zeek/all-types.zeek), modp_dtoa's exact halves, and values at and
// beyond INT_MAX where it switches to printf. The expected text is what Zeek's own
// ASCII writer prints for each; the TypeScript (zeek-text.ts), the SQL (log-text-sql.ts
// zeek_micros, for JSON logs) and the C++ (the Arrow writer's ZeekMicros) must all give it.
const BOTH = [
  '3.25', '-1.5', '1700000000.123456', '-0.000001', '0', '1e-7', '123456.654321', '-1.25',
  '123456789.123456789', '0.1', '-2.5', '2', '3e9', '5.39165997505188', '1389719042.006633',
  '0.0000005', '0.0000015', '0.0000025', '2.5e-7', '1.0000005', '-0.0000005', '-123456.6543215',
  CARRY, '0.99999949999', BELOW_INT_MAX, '2147483647', '2147483647.5', '4294967296.0000005', '9.2e12',
];
/** Doubles only: a time or interval is µs in 64 bits in every layer. */
const DOUBLE_ONLY = ['nan', 'inf', '-inf', '1e15', '1e21', '1.5e22', '-1e300', '5e-324'];
/** The double Zeek's to_double gives for the text. */
const double = (text: string) => text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);

const zeekDouble = (text: string) => `to_double(${JSON.stringify(text)})`;

function script(): string {
  const rows = [...BOTH.map((v, i) => `Log::write(LOG, Info($row=${i}, $d=${zeekDouble(v)}, ` +
    `$t=double_to_time(${zeekDouble(v)}), $iv=double_to_interval(${zeekDouble(v)})));`),
  ...DOUBLE_ONLY.map((v, i) => `Log::write(LOG, Info($row=${BOTH.length + i}, $d=${zeekDouble(v)}));`)];
  return `module NumberText;
export {
  redef enum Log::ID += { LOG };
  type Info: record {
    row: count &log;
    d: double &log;
    t: time &log &optional;
    iv: interval &log &optional;
  };
}
event zeek_init() {
  Log::create_stream(LOG, [$columns=Info, $path="number_text"]);
  ${rows.join('\n  ')}
}
`;
}

/** The µs of Zeek's text of a time or interval, as the ASCII reader gets them (but at CARRY). */
const zeekTextMicros = (value: string, text: string) => value === CARRY ? 1000000n : microsOf(text);

/** The µs nearest the seconds of Zeek's text of a time or interval (123.456789, 2.1474836475e+09), exactly. */
function microsOf(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([-+]\d+))?$/.exec(text);
  if (!m) throw new Error(`'${text}' is no time text`);
  const fraction = m[3] ?? '';
  const scale = fraction.length - Number(m[4] ?? 0) - 6; // digits × 10^-scale = µs
  const digits = BigInt(m[2] + fraction);
  const micros = scale <= 0 ? digits * 10n ** BigInt(-scale) : (digits + 5n * 10n ** BigInt(scale - 1)) / 10n ** BigInt(scale);
  return m[1] ? -micros : micros;
}

describeWithZeek("Zeek's text of doubles, times and intervals, in TypeScript, SQL and the plugin's C++", zeek => {
  const work = tempDir();
  /** Zeek's ASCII text of each row: [d, t, iv]. */
  let ascii: string[][];
  let db: Database;
  const values = [...BOTH, ...DOUBLE_ONLY];

  before(async () => {
    writeFileSync(join(work, 'number-text.zeek'), script());
    for (const [dir, args] of [['ascii', []], ['arrow', ['Log::default_writer=Arrow']]] as const) {
      const r = runZeek(zeek, work, [join(work, 'number-text.zeek'), ...args]);
      assert.equal(r.status, 0, r.stderr);
      if (dir === 'ascii') {
        ascii = readFileSync(join(work, 'number_text.log'), 'utf8').split('\n')
          .filter(l => l && !l.startsWith('#')).map(l => l.split('\t').slice(1));
      }
    }
    assert.equal(ascii.length, values.length);
    db = await Database.open(':memory:');
    await db.useLogText();
    await db.run(`ATTACH ${literal(dbFile(work))} AS arrow (READ_ONLY)`);
  });
  after(() => db?.close());
  after(() => removeDir(work));

  it("prints at CARRY what the µs there are not (modp_dtoa's missing carry)", () => {
    assert.deepEqual(ascii[BOTH.indexOf(CARRY)], ['0.1', '0.1000000', '0.1000000']);
  });

  it('TypeScript: formatDouble prints what Zeek prints', () => {
    assert.deepEqual(values.map(v => formatDouble(double(v))), ascii.map(a => a[0]));
  });

  it('TypeScript: zeekMicros then formatMicros print what Zeek prints for times and intervals', () => {
    const both = BOTH.filter(v => v !== CARRY && v !== BELOW_INT_MAX);
    const text = (v: string) => formatMicros(zeekMicros(double(v)));
    assert.deepEqual(both.map(v => [text(v), text(v)]), both.map(v => ascii[BOTH.indexOf(v)].slice(1)));
    assert.deepEqual(BOTH.map(v => zeekMicros(double(v))), BOTH.map((v, i) => zeekTextMicros(v, ascii[i][1])));
  });

  it("SQL: zeek_micros (JSON logs' times) gives the µs Zeek prints", async () => {
    const rows = await db.all(`SELECT v, zeek_micros(CAST(v AS DOUBLE)) AS us FROM (VALUES ${BOTH.map(v => `(${literal(v)})`).join(', ')}) t(v)`);
    assert.deepEqual(rows.map(r => [r.v, r.us]), BOTH.map((v, i) => [v, zeekTextMicros(v, ascii[i][1])]));
  });

  it("C++: a time or interval beyond 64-bit µs is logged unset by the Arrow writer, named as Zeek's ASCII writer prints it", async () => {
    const beyond = ['1e15', '-1e15', '9.3e12', '1.5e22'];
    const dir = join(work, 'beyond');
    mkdirSync(dir);
    writeFileSync(join(dir, 'beyond.zeek'), `module Beyond;
export {
  redef enum Log::ID += { LOG };
  type Info: record { row: count &log; t: time &log; iv: interval &log; };
}
event zeek_init() {
  Log::create_stream(LOG, [$columns=Info, $path="beyond"]);
  ${beyond.map((v, i) => `Log::write(LOG, Info($row=${i}, $t=double_to_time(${zeekDouble(v)}), $iv=double_to_interval(${zeekDouble(v)})));`).join('\n  ')}
}
`);
    const asciiRun = runZeek(zeek, dir, [join(dir, 'beyond.zeek')]);
    assert.equal(asciiRun.status, 0, asciiRun.stderr);
    const text = readFileSync(join(dir, 'beyond.log'), 'utf8').split('\n').filter(l => l && !l.startsWith('#')).map(l => l.split('\t').slice(1));
    const arrow = runZeek(zeek, dir, [join(dir, 'beyond.zeek'), 'Log::default_writer=Arrow']);
    assert.equal(arrow.status, 0, arrow.stderr);
    const said = (field: string, type: string, shown: string) =>
      `Arrow writer for 'beyond': field '${field}': ${type} ${shown} is beyond what its column holds (µs in 64 bits, ±9.2e12 s): logged as unset`;
    for (const [t, iv] of text) {
      assert.ok(arrow.stderr.includes(said('t', 'time', t)), `${said('t', 'time', t)}\nnot in:\n${arrow.stderr}`);
      assert.ok(arrow.stderr.includes(said('iv', 'interval', iv)), `${said('iv', 'interval', iv)}\nnot in:\n${arrow.stderr}`);
    }
    await db.run(`ATTACH ${literal(dbFile(dir))} AS beyond (READ_ONLY)`);
    const rows = await db.all(`SELECT "row", epoch_us(t) AS t, epoch_us(iv) AS iv FROM beyond.beyond ORDER BY "row"`);
    assert.deepEqual(rows.map(r => [Number(r.row), r.t, r.iv]), beyond.map((_, i) => [i, null, null]));
    assert.equal(text.length, beyond.length);
  });

  it("C++: the Arrow writer stores the doubles Zeek had and the µs Zeek prints", async () => {
    const rows = await db.all(`SELECT "row", d, epoch_us(t) AS t, epoch_us(iv) AS iv FROM arrow.number_text ORDER BY "row"`);
    assert.deepEqual(rows.map(r => [Number(r.row), r.d, r.t, r.iv]), values.map((v, i) => [i, double(v),
      ...i < BOTH.length ? [zeekTextMicros(v, ascii[i][1]), zeekTextMicros(v, ascii[i][2])] : [null, null]]));
  });
});
