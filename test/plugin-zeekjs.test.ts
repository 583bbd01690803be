import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from './helpers/corpus';
import { suiteTempDirs } from './helpers/logs';
import { PLUGIN_DIR, describeWithZeek, runZeek } from './helpers/zeek';

/** ZeekJS (Zeek::JavaScript), built for the same Zeek: $ZEEKJS_PLUGIN_DIR or /opt/zeekjs. */
function findZeekJs(): string | undefined {
  const dir = process.env.ZEEKJS_PLUGIN_DIR ?? '/opt/zeekjs';
  const marker = join(dir, '__zeek_plugin__');
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === 'Zeek::JavaScript' ? dir : undefined;
}

describeWithZeek('beside ZeekJS, which also embeds Node.js', zeek => {
  const tempDir = suiteTempDirs();
  const zeekjs = findZeekJs();
  if (!zeekjs) {
    before(() => console.log('      SKIP: no ZeekJS plugin ($ZEEKJS_PLUGIN_DIR or /opt/zeekjs)'));
    it.skip('needs ZeekJS');
    return;
  }
  const pluginPath = { ZEEK_PLUGIN_PATH: `${zeekjs}:${PLUGIN_DIR}` };
  const trace = corpusPath('pcaps', 'http__bro.org.pcap');

  it('fails each Arrow writer with a clear message when JavaScript scripts are loaded, and Zeek carries on', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hello.js'), "zeek.on('zeek_init', () => { console.log('hello from zeekjs'); });\n");
    const r = runZeek(zeek, dir, ['-C', '-r', trace, './hello.js', 'Log::default_writer=Arrow'], pluginPath);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hello from zeekjs$/m);
    const messages = r.stderr.split('\n').filter(l => /cannot start: cannot run beside ZeekJS \(Zeek::JavaScript\) with JavaScript scripts loaded/.test(l));
    assert.deepEqual(messages.map(l => /: (\w+)\/Log::WRITER_ARROW:/.exec(l)![1]).sort(), ['conn', 'files', 'http', 'packet_filter', 'reporter']);
    assert.equal(existsSync(join(dir, 'logs.duckdb')), false);
  });

  it('runs when ZeekJS is loaded without JavaScript scripts (it then does not start Node.js)', () => {
    const dir = tempDir();
    const r = runZeek(zeek, dir, ['-C', '-r', trace, 'Log::default_writer=Arrow'], pluginPath);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(existsSync(join(dir, 'logs.duckdb')));
  });
});
