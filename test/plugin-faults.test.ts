// The plugin under faults: a user's writer or reader that never answers, runs a busy loop, keeps a
// timer alive, throws with batches in flight, or answers after Zeek deleted the writer. Zeek must
// disable that one with a message, write every other log whole, and exit within a bounded time.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, corpusPath } from './helpers/corpus';
import { tempDir } from './helpers/logs';
import { PLUGIN_DIR, describeWithZeek, runZeek } from './helpers/zeek';
import { Database } from '../ts/duckdb/database';

const FIXTURES = join(REPO, 'test', 'fixtures');
const WRITER = join(FIXTURES, 'rows-writer.js');
// 34 conn records, and a dozen other logs (../shared/corpus/zeek-logs/tsv/wikipedia.trace).
const TRACE = corpusPath('pcaps', 'wikipedia.trace');
// Long enough for a Zeek that hangs to fail the test rather than the suite.
const HANG_LIMIT_MS = 90_000;

/** Data lines of one of Zeek's ASCII logs. */
function asciiLines(dir: string, log: string): string[] {
  return readFileSync(join(dir, `${log}.log`), 'utf8').split('\n').filter(l => l && !l.startsWith('#'));
}

/** What the module writer (test/fixtures/rows-writer.js) wrote for a log: its rows and its trailer. */
function writtenRows(dir: string, log: string): { rows: Record<string, unknown>[]; trailer: string } {
  const lines = readFileSync(join(dir, `${log}.rows`), 'utf8').split('\n').filter(l => l);
  return { rows: lines.filter(l => !l.startsWith('#')).map(l => JSON.parse(l)), trailer: lines.filter(l => l.startsWith('#')).join() };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const logsIn = (dir: string, ext: string) => readdirSync(dir).filter(f => f.endsWith(ext)).map(f => f.slice(0, -ext.length)).sort();

describeWithZeek('the plugin under faults', zeek => {
  const work = tempDir();
  let ascii: string;
  /** Seconds a run with the module writer and no fault takes on this machine now: the measure of "a few seconds more". */
  let normal: number;

  const run = (name: string, args: string[], env: Record<string, string> = {}) => {
    const dir = join(work, name);
    mkdirSync(dir);
    return { dir, ...runZeek(zeek, dir, ['-C', '-D', '-r', TRACE, ...args], env, HANG_LIMIT_MS) };
  };
  const moduleArgs = (dir: string, ...more: string[]) => ['Log::default_writer=Arrow', 'LogArrow::sink=module',
    `LogArrow::writer_module=${WRITER}`, `LogArrow::output_dir=${dir}`, ...more];

  /** Every log but `except` written whole by the module writer: as many rows as Zeek's ASCII writer wrote, and finished. */
  const assertOthersWhole = (dir: string, except: string[]) => {
    // reporter.log is there only when something is reported, as here.
    assert.deepEqual(logsIn(dir, '.rows').filter(l => l !== 'reporter'), logsIn(ascii, '.log'));
    for (const log of logsIn(ascii, '.log').filter(l => !except.includes(l))) {
      const { rows, trailer } = writtenRows(dir, log);
      assert.equal(rows.length, asciiLines(ascii, log).length, log);
      assert.match(trailer, /^#finished/, log);
    }
  };

  before(() => {
    const r = run('ascii', []);
    assert.equal(r.status, 0, r.stderr);
    ascii = r.dir;
    assert.equal(asciiLines(ascii, 'conn').length, 34);
    const m = run('normal', moduleArgs(join(work, 'normal')));
    assert.equal(m.status, 0, m.stderr);
    assertOthersWhole(m.dir, []);
    normal = m.seconds;
  });

  /** Zeek ended within the timeout and a few seconds of a run without faults. */
  const assertPrompt = (seconds: number, timeout: number) =>
    assert.ok(seconds < normal + timeout + 8, `Zeek took ${seconds.toFixed(1)} s; without faults ${normal.toFixed(1)} s`);

  after(() => rmSync(work, { recursive: true, force: true }));

  it("a write() whose promise never settles: that log is disabled after the filter's reply_timeout, the rest is written, Zeek exits", () => {
    // The timeout from the conn filter's $config; the global one (10 min) would hang the test.
    const script = join(work, 'conn-timeout.zeek');
    writeFileSync(script, [
      'event zeek_init() &priority=-10',
      '\t{',
      '\tlocal f = Log::get_filter(Conn::LOG, "default");',
      '\tf$config = table(["reply_timeout"] = "3 secs");',
      '\tLog::add_filter(Conn::LOG, f);',
      '\t}', ''].join('\n'));
    const r = run('promise', [...moduleArgs(join(work, 'promise'), 'LogArrow::batch_size=2'), script],
      { HANG_LOG: 'conn', HANG: 'promise' });
    assert.equal(r.status, 0, r.stderr);
    // 4 batches of 2 in flight (max_pending_batches), the first never answered.
    assert.match(r.stderr, /Arrow writer for 'conn' was disabled: no batch written by the TypeScript writer within 3 s; 4 batches \(8 records\) in flight were lost/);
    assertPrompt(r.seconds, 3);
    assert.deepEqual(writtenRows(r.dir, 'conn'), { rows: [], trailer: '' });
    assertOthersWhole(r.dir, ['conn']);
  });

  it('a write() that loops forever: its JavaScript is stopped after reply_timeout, that log disabled, the rest written', () => {
    const r = run('busy', moduleArgs(join(work, 'busy'), 'LogArrow::batch_size=2', 'LogArrow::reply_timeout=3sec'),
      { HANG_LOG: 'conn', HANG: 'busy' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Arrow writer for 'conn' was disabled: its JavaScript ran for more than 3 s without returning \(a busy loop\?\) and was stopped; 4 batches \(8 records\) in flight were lost/);
    assertPrompt(r.seconds, 3);
    assert.deepEqual(writtenRows(r.dir, 'conn'), { rows: [], trailer: '' });
    assertOthersWhole(r.dir, ['conn']);
  });

  it('a module that keeps a timer running does not keep Zeek alive', () => {
    const r = run('interval', moduleArgs(join(work, 'interval')), { INTERVAL: '1' });
    assert.equal(r.status, 0, `status ${r.status} after ${r.seconds} s: ${r.stderr}`);
    assertPrompt(r.seconds, 0);
    assertOthersWhole(r.dir, []);
  });

  it('a reader that never answers is disabled after its reply_timeout; the logs are written and Zeek exits', () => {
    const r = run('reader', [join(FIXTURES, 'read-hosts.zeek'), `InputArrow::reader_module=${join(FIXTURES, 'hung-reader.js')}`,
      'InputArrow::reply_timeout=2sec']);
    assert.equal(r.status, 0, `status ${r.status} after ${r.seconds} s: ${r.stderr}`);
    assert.match(r.stderr, /Arrow reader for 'inventory' \(source '3'\): no answer from TypeScript within 2 s/);
    assertPrompt(r.seconds, 2);
    for (const log of logsIn(ascii, '.log')) assert.equal(asciiLines(r.dir, log).length, asciiLines(ascii, log).length, log);
  });

  for (const [bad, problem] of [
    ['negative-offset', "column 'a': has value offsets -100 to 8 at row 0"],
    ['short', "column 'a': has 3 value offsets for 5 rows"],
  ]) {
    it(`a reader module's batch with ${bad === 'short' ? 'more rows than offsets' : 'a negative offset'} is refused before anything reads it`, () => {
      const r = run(`reader-${bad}`, [join(FIXTURES, 'read-hosts.zeek'), `InputArrow::reader_module=${join(FIXTURES, 'bad-reader.js')}`],
        { BAD: bad });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stderr.includes(`Arrow reader for 'inventory' (source '3'): Error: the reader module's batch 1, ${problem}`), r.stderr);
      for (const log of logsIn(ascii, '.log')) assert.equal(asciiLines(r.dir, log).length, asciiLines(ascii, log).length, log);
    });
  }

  it('a reply that comes after Zeek deleted the writer touches nothing freed', () => {
    // conn's first batch takes 4 s; after 1 s Zeek's writer thread gives up, Zeek deletes the writer,
    // and the reply comes later. Freed memory is overwritten (MALLOC_PERTURB_), so touching it fails.
    const r = run('late', moduleArgs(join(work, 'late'), 'LogArrow::batch_size=2', 'LogArrow::max_pending_batches=1',
      'LogArrow::reply_timeout=1sec'), { SLOW_LOG: 'conn', SLOW_MS: '4000', MALLOC_PERTURB_: '165' });
    assert.equal(r.status, 0, `status ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /Arrow writer for 'conn' was disabled: no batch written by the TypeScript writer within 1 s; 1 batches \(2 records\) in flight were lost/);
    assertOthersWhole(r.dir, ['conn']);
  });

  /** Rows of each log in the DuckDB file a run wrote (LogArrow's default sink). */
  const tableRows = async (dir: string): Promise<Map<string, number>> => {
    const db = await Database.open(join(dir, 'logs.duckdb'));
    try {
      const rows = new Map<string, number>();
      for (const r of await db.all(`SELECT table_name AS t FROM duckdb_tables() WHERE schema_name = 'main'`))
        rows.set(String(r.t), Number((await db.all(`SELECT count(*) AS n FROM "${String(r.t)}"`))[0].n));
      return rows;
    } finally {
      db.close();
    }
  };

  /** Every log but conn (and reporter) in DuckDB with as many rows as Zeek's ASCII writer wrote. */
  const assertTablesWhole = async (dir: string) => {
    const rows = await tableRows(dir);
    rows.delete('reporter');
    const logs = logsIn(ascii, '.log').filter(l => l !== 'conn');
    assert.deepEqual([...rows.keys()].sort(), logs);
    for (const log of logs) assert.equal(rows.get(log), asciiLines(ascii, log).length, log);
  };

  // Before the fix, 4 runs in 10 of each crashed (Napi::Error thrown while Node freed itself) or hung (killed at 60 s).
  const RUNS = 6;

  for (const [fault, env, message] of [
    ['its last batch', { FAIL_LOG: 'conn', FAIL_BATCH: '1' },
      'was disabled: Error: refusing batch 1 of conn (at RowsWriter.append (FIXTURE)); 1 batches (34 records) in flight were lost'],
    ['finish()', { FAIL_FINISH_LOG: 'conn' }, 'failed to finish: Error: refusing to finish conn (at RowsWriter.finish (FIXTURE))'],
  ] as const) {
    it(`a module writer failing at exit in ${fault}: ${RUNS} runs each exit promptly, the message on stderr, no writer started after Zeek ended its threads`, async () => {
      // conn goes to the module writer (all 34 records in the one batch Zeek's exit sends); the other logs into DuckDB.
      const script = join(work, 'conn-module.zeek');
      writeFileSync(script, [
        'event zeek_init() &priority=-10',
        '\t{',
        '\tlocal f = Log::get_filter(Conn::LOG, "default");',
        `\tf$config = table(["sink"] = "module", ["writer_module"] = "${WRITER}", ["output_dir"] = ".");`,
        '\tLog::add_filter(Conn::LOG, f);',
        '\t}', ''].join('\n'));
      for (let i = 0; i < RUNS; i++) {
        const r = run(`exit-${env.FAIL_BATCH ? 'batch' : 'finish'}-${i}`, ['Log::default_writer=Arrow', script], env);
        assert.equal(r.status, 0, `run ${i}: status ${r.status} after ${r.seconds.toFixed(1)} s: ${r.stderr}`);
        assertPrompt(r.seconds, 0);
        // Told on stderr by the writer, once; not through Zeek's reporter, whose reporter.log writer would start
        // after Zeek ended its threads.
        const expected = escape(`error: conn/Log::WRITER_ARROW: Arrow writer for 'conn' ${message}\n`).replace('FIXTURE', `${escape(WRITER)}:\\d+:\\d+`);
        assert.match(r.stderr, new RegExp(`^${expected}$`), `run ${i}`);
        const conn = writtenRows(r.dir, 'conn');
        assert.equal(conn.trailer, '#finished after 1 batches', `run ${i}`);
        assert.equal(conn.rows.length, env.FAIL_BATCH ? 0 : asciiLines(ascii, 'conn').length, `run ${i}`);
        await assertTablesWhole(r.dir);
      }
    });
  }

  it(`a reporter.log writer Zeek starts after ending its threads (a message at exit, not ours): ${RUNS} runs each exit promptly, the logs whole`, async () => {
    // Zeek's own ASCII reader, started in zeek_done, warns of the missing file while Zeek ends the threads;
    // Zeek then logs the warning through a new reporter.log writer, which it never ends.
    const missing = join(work, 'no-such-items.tsv');
    const script = join(work, 'late-reader.zeek');
    writeFileSync(script, [
      'type Item: record { a: count; };',
      'event item(d: Input::EventDescription, t: Input::Event, r: Item) { }',
      'event zeek_done()',
      '\t{',
      `\tInput::add_event([$source="${missing}", $name="items", $fields=Item, $ev=item, $want_record=T]);`,
      '\t}', ''].join('\n'));
    for (let i = 0; i < RUNS; i++) {
      const r = run(`late-writer-${i}`, ['Log::default_writer=Arrow', script]);
      assert.equal(r.status, 0, `run ${i}: status ${r.status} after ${r.seconds.toFixed(1)} s: ${r.stderr}`);
      assertPrompt(r.seconds, 0);
      const lines = r.stderr.split('\n').filter(l => l);
      assert.ok(lines[0].endsWith(`warning in <params>, line 1: ${missing}/Input::READER_ASCII: Init: cannot open ${missing}`), r.stderr);
      assert.match(lines[1], /warning in <params>, line 1: Thread thread-\d+ added after threading manager terminated$/);
      // The writer either started before the runtime closed, or was refused at once, saying why.
      assert.deepEqual(lines.slice(2).filter(l => l !== "error: reporter/Log::WRITER_ARROW: Arrow writer for 'reporter' failed to start: " +
        'Zeek started this writer or reader after ending the others (at exit): the Node.js runtime was closing and took no more work'), [], r.stderr);
      const rows = await tableRows(r.dir);
      for (const log of logsIn(ascii, '.log')) assert.equal(rows.get(log), asciiLines(ascii, log).length, log);
    }
  });

  it('a write() that throws with 4 batches in flight: those 4 are reported lost, the batches before are written, the rest go on', () => {
    // Each conn batch takes 300 ms, so 4 are in flight (max_pending_batches) when the third throws.
    const r = run('throwing', moduleArgs(join(work, 'throwing'), 'LogArrow::batch_size=2', 'LogArrow::max_pending_batches=4'),
      { FAIL_LOG: 'conn', FAIL_BATCH: '3', SLOW_LOG: 'conn', SLOW_MS: '300' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Arrow writer for 'conn' was disabled: Error: refusing batch 3 of conn \(at [^;]*\); 4 batches \(8 records\) in flight were lost/);
    const conn = writtenRows(r.dir, 'conn');
    assert.deepEqual(conn.rows.map(row => row.uid), asciiLines(ascii, 'conn').slice(0, 4).map(l => l.split('\t')[1]));
    assertOthersWhole(r.dir, ['conn']);
  });
});

describeWithZeek('the plugin over a capture of 100 MB', zeek => {
  const work = tempDir();
  let capture: string;
  let ascii: string;
  let asciiPeak: number;

  /** Zeek under /usr/bin/time: its status, stderr, and peak resident set (KiB). */
  const timed = (dir: string, args: string[], env: Record<string, string> = {}) => {
    mkdirSync(dir);
    const r = spawnSync('/usr/bin/time', ['-f', 'peak-rss-kib %M', zeek.zeek, '-C', '-D', '-r', capture, ...args], {
      cwd: dir, encoding: 'utf8', timeout: 600_000, env: { ...process.env, ZEEK_PLUGIN_PATH: PLUGIN_DIR, ...env },
    });
    const peak = /peak-rss-kib (\d+)/.exec(r.stderr);
    assert.ok(peak, r.stderr);
    return { status: r.status, stderr: r.stderr, peak: Number(peak[1]) };
  };

  before(() => {
    capture = join(work, 'big.pcap');
    const built = spawnSync(process.execPath, [join(REPO, 'dist', 'scripts', 'build-big-capture.js'), '--size', '100M', '-o', capture], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    assert.ok(statSync(capture).size >= 100 * 2 ** 20);
    ascii = join(work, 'ascii');
    const r = timed(ascii, []);
    assert.equal(r.status, 0, r.stderr);
    asciiPeak = r.peak;
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it('a writer taking 50 ms a batch gets every record, in bounded memory', () => {
    const dir = join(work, 'slow');
    const r = timed(dir, ['Log::default_writer=Arrow', 'LogArrow::sink=module', `LogArrow::writer_module=${WRITER}`,
      `LogArrow::output_dir=${dir}`, 'LogArrow::batch_size=100'], { SLOW_LOG: '*', SLOW_MS: '50', COUNT_ONLY: '1' });
    assert.equal(r.status, 0, r.stderr);
    const logs = logsIn(ascii, '.log');
    assert.deepEqual(logsIn(dir, '.rows'), logs);
    let rows = 0;
    for (const log of logs) {
      const lines = asciiLines(ascii, log).length;
      assert.equal(writtenRows(dir, log).trailer, `#rows ${lines},#finished after ${Math.ceil(lines / 100)} batches`, log);
      rows += lines;
    }
    // Node and V8 take about 80 MiB; each log holds at most 4 batches of 100 rows in flight.
    console.log(`      ${rows} rows; peak RSS ${(r.peak / 1024).toFixed(0)} MiB, Zeek's ASCII writer ${(asciiPeak / 1024).toFixed(0)} MiB`);
    assert.ok(r.peak < asciiPeak + 160 * 1024, `peak RSS ${r.peak} KiB, ASCII ${asciiPeak} KiB`);
  });

  it('Zeek stopped by SIGTERM mid-run leaves a DuckDB file that opens, with what was written', async () => {
    const dir = join(work, 'sigterm');
    mkdirSync(dir);
    const child = spawn(zeek.zeek, ['-C', '-D', '-r', capture, 'Log::default_writer=Arrow'],
      { cwd: dir, env: { ...process.env, ZEEK_PLUGIN_PATH: PLUGIN_DIR }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', d => { stderr += d; });
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    // Mid-run: once the logs' database exists (the first log's writer has started), and a second more.
    const db = join(dir, 'logs.duckdb');
    for (let i = 0; i < 600 && !existsSync(db); i++) await new Promise(resolve => setTimeout(resolve, 100));
    await new Promise(resolve => setTimeout(resolve, 1000));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const code = await exited;
    clearTimeout(killer);
    assert.equal(code, 0, stderr);
    const opened = await Database.open(db);
    try {
      const uids = (await opened.all('SELECT uid FROM conn')).map(r => String(r.uid));
      const all = new Set(asciiLines(ascii, 'conn').map(l => l.split('\t')[1]));
      assert.ok(uids.length > 0 && uids.length <= all.size, `${uids.length} of ${all.size}`);
      assert.deepEqual(uids.filter(u => !all.has(u)), []);
      console.log(`      stopped mid-run: ${uids.length} of ${all.size} conn records written`);
    } finally {
      opened.close();
    }
  });
});
