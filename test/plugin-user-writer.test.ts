import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, corpusPath } from './helpers/corpus';
import { removeDir, tempDir } from './helpers/logs';
import { describeWithZeek, runZeek } from './helpers/zeek';

const WRITER = join(REPO, 'test', 'fixtures', 'rows-writer.js');
const TRACE = corpusPath('pcaps', 'http__bro.org.pcap');

function asciiLines(dir: string, log: string): string[] {
  return readFileSync(join(dir, `${log}.log`), 'utf8').split('\n').filter(l => l && !l.startsWith('#'));
}

function writtenRows(dir: string, log: string): { rows: Record<string, unknown>[]; trailer: string } {
  const lines = readFileSync(join(dir, `${log}.rows`), 'utf8').split('\n').filter(l => l);
  return { rows: lines.filter(l => !l.startsWith('#')).map(l => JSON.parse(l)), trailer: lines.filter(l => l.startsWith('#')).join() };
}

describeWithZeek('a writer written in TypeScript, loaded as a module', zeek => {
  const work = tempDir();
  after(() => removeDir(work));
  const run = (name: string, args: string[], env: Record<string, string> = {}) => {
    const dir = join(work, name);
    mkdirSync(dir);
    // Pseudo-realtime: the trace takes a few seconds, so a writer failing midway is reported while Zeek runs.
    const r = runZeek(zeek, dir, ['-C', '-D', '--pseudo-realtime=4', '-r', TRACE, ...args], env);
    assert.equal(r.status, 0, r.stderr);
    return { dir, stderr: r.stderr };
  };
  const moduleArgs = (dir: string) => ['Log::default_writer=Arrow', 'LogArrow::sink=module', `LogArrow::writer_module=${WRITER}`,
    'LogArrow::batch_size=2', 'LogArrow::max_pending_batches=1', `LogArrow::output_dir=${dir}`];
  let ascii: string;

  before(() => {
    ascii = run('ascii', []).dir;
  });

  it('receives every record of every log', () => {
    const dir = join(work, 'module');
    run('module', moduleArgs(dir));
    const logs = readdirSync(ascii).filter(f => f.endsWith('.log')).map(f => f.replace(/\.log$/, '')).sort();
    assert.deepEqual(readdirSync(dir).filter(f => f.endsWith('.rows')).map(f => f.replace(/\.rows$/, '')).sort(), logs);
    for (const log of logs) {
      const { rows, trailer } = writtenRows(dir, log);
      const lines = asciiLines(ascii, log);
      assert.equal(rows.length, lines.length, log);
      assert.equal(trailer, `#finished after ${Math.ceil(lines.length / 2)} batches`, log);
      if (log === 'conn' || log === 'http') {
        // The same connections, by uid (column 2 of both logs).
        assert.deepEqual(rows.map(r => r.uid).sort(), lines.map(l => l.split('\t')[1]).sort(), log);
      }
    }
  });

  it('one that throws is disabled with a message in reporter.log, and the other logs are written completely', () => {
    // Zeek logs a writer's message to reporter.log only while it runs (at exit it goes to stderr): a loaded machine
    // may notice the failure after the trace ended, so Zeek runs on until both the trace and the message are done.
    const script = join(work, 'until-reported.zeek');
    writeFileSync(script, [
      'redef exit_only_after_terminate = T;',
      'global ended = 0;',
      'function one_done() { if ( ++ended == 2 ) terminate(); }',
      'event Pcap::file_done(path: string) { one_done(); }',
      'event reporter_error(t: time, msg: string, location: string)',
      "\t{ if ( /Arrow writer for 'http' was disabled/ in msg ) one_done(); }", ''].join('\n'));
    const dir = join(work, 'failing');
    const { stderr } = run('failing', [...moduleArgs(dir), script], { FAIL_LOG: 'http', FAIL_BATCH: '3' });
    const message = "http/Log::WRITER_ARROW: Arrow writer for 'http' was disabled: Error: refusing batch 3 of http";
    assert.match(stderr, new RegExp(message.replace(/[()/]/g, '\\$&')));
    const http = writtenRows(dir, 'http');
    assert.equal(http.rows.length, 4, 'the two batches before it');
    assert.deepEqual(http.rows.map(r => r.uid), asciiLines(ascii, 'http').slice(0, 4).map(l => l.split('\t')[1]));
    const reporter = writtenRows(dir, 'reporter').rows;
    assert.ok(reporter.some(r => String(r.message).startsWith(message)), JSON.stringify(reporter));
    for (const log of ['conn', 'files', 'packet_filter']) {
      const { rows, trailer } = writtenRows(dir, log);
      assert.equal(rows.length, asciiLines(ascii, log).length, log);
      assert.match(trailer, /^#finished/, log);
    }
  });
});
