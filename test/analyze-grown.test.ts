import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { REPO, corpusPath } from './helpers/corpus';
import { suiteTempDirs } from './helpers/logs';
import { describeWithZeek } from './helpers/zeek';

const CLI = join(REPO, 'bin', 'zeek-arrow.js');

/** Bytes of a little-endian pcap's header and its first `packets` records. */
function pcapPrefix(capture: Buffer, packets: number): number {
  assert.equal(capture.readUInt32LE(0), 0xa1b2c3d4);
  let at = 24;
  for (let i = 0; i < packets; i++) at += 16 + capture.readUInt32LE(at + 8);
  return at;
}

/** Data rows of Zeek's own conn.log of a corpus trace. */
const corpusConns = (trace: string) =>
  readFileSync(corpusPath('zeek-logs', 'tsv', trace, 'conn.log'), 'utf8').split('\n').filter(l => l && !l.startsWith('#')).length;

describeWithZeek('zeek-arrow analyze: a capture that grew since it was analyzed', () => {
  const tempDir = suiteTempDirs();

  it('is refused by name (its logs would be stored twice); the other captures are analyzed', async () => {
    const dir = tempDir();
    const whole = readFileSync(corpusPath('pcaps', 'wikipedia.trace'));
    const cut = pcapPrefix(whole, 20);
    writeFileSync(join(dir, 'live.trace'), whole.subarray(0, cut));
    const first = spawnSync('node', [CLI, 'analyze', '-C', 'live.trace', '--db', 'a.duckdb', '--workers', '1'], { cwd: dir, encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    const connsOf = async () => {
      const db = await Database.open(join(dir, 'a.duckdb'));
      try {
        return Number((await db.all('SELECT count(*) AS n FROM conn'))[0].n);
      } finally {
        db.close();
      }
    };
    const before = await connsOf();
    assert.ok(before > 0);

    // The capture grows (the rest of its packets appended); another capture comes beside it.
    writeFileSync(join(dir, 'live.trace'), whole);
    copyFileSync(corpusPath('pcaps', 'icmp__5-pings.pcap'), join(dir, 'other.pcap'));
    const second = spawnSync('node', [CLI, 'analyze', '-C', 'live.trace', 'other.pcap', '--db', 'a.duckdb', '--workers', '1'],
      { cwd: dir, encoding: 'utf8' });
    assert.equal(second.status, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`live\\.trace.*grew from ${cut} to ${whole.length} bytes since it was analyzed ` +
      'into this database: not analyzed again.*Analyze it into a new --db'));
    assert.match(second.stdout, /^analyzed 1 captures with Zeek /);
    assert.equal(await connsOf(), before + corpusConns('icmp__5-pings.pcap'));
  });
});
