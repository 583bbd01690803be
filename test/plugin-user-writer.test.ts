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
  it("can use Node's crypto and TLS, which Node sets up only when a module first asks (published vectors)", () => {
    // Node starts without OpenSSL set up (kNoInitOpenSSL, NodeRuntime.cc): a module's first use must still work.
    const module = join(work, 'crypto-writer.js');
    const out = join(work, 'crypto.json');
    writeFileSync(module, `const crypto = require('crypto');
const tls = require('tls');
const { writeFileSync } = require('fs');
const { WriterBackend } = require('zeek-arrow');
module.exports = { writer: class extends WriterBackend {
  init(info) { this.path = info.path; }
  write() {}
  finish() {
    if (this.path !== 'conn') return;
    writeFileSync(${JSON.stringify(out)}, JSON.stringify({
      sha256: crypto.createHash('sha256').update('abc').digest('hex'),
      hmac: crypto.createHmac('sha256', Buffer.alloc(20, 0x0b)).update('Hi There').digest('hex'),
      uuid: crypto.randomUUID(),
      random: [crypto.randomBytes(16).toString('hex'), crypto.randomBytes(16).toString('hex')],
      tls: typeof tls.createSecureContext({}).context,
    }));
  }
} };
`);
    run('crypto', ['Log::default_writer=Arrow', 'LogArrow::sink=module', `LogArrow::writer_module=${module}`]);
    const got = JSON.parse(readFileSync(out, 'utf8'));
    // FIPS 180-2's "abc" and RFC 4231's test case 1.
    assert.equal(got.sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(got.hmac, 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    assert.match(got.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(got.random[0], /^[0-9a-f]{32}$/);
    assert.notEqual(got.random[0], got.random[1]);
    assert.equal(got.tls, 'object');
  });
});
