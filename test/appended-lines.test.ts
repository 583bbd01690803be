import assert from 'node:assert/strict';
import { appendFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppendedLines } from '../ts/spool/appended-lines';
import { removeDir, tempDir } from './helpers/logs';

describe('the lines another process appends to a file (analyze --follow\'s flush and marker files)', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('gives no lines while the file is absent, then each complete line once, and a line still being written only when it ends', () => {
    const file = join(dir, 'conn.flushes');
    const lines = new AppendedLines(file);
    assert.deepEqual(lines.read(), []);
    writeFileSync(file, '1.000000 100\n2.000000 2');
    assert.deepEqual(lines.read(), ['1.000000 100']);
    assert.deepEqual(lines.read(), []);
    appendFileSync(file, '00\n3.000000 300\n');
    assert.deepEqual(lines.read(), ['2.000000 200', '3.000000 300']);
    appendFileSync(file, 'grüße 4\n');
    assert.deepEqual(lines.read(), ['grüße 4']);
  });

  it('reads only what was appended since its last read', () => {
    const file = join(dir, 'marks');
    const lines = new AppendedLines(file);
    writeFileSync(file, 'a\n');
    assert.deepEqual(lines.read(), ['a']);
    // Bytes before the offset already read are not read again: changing them changes nothing.
    writeFileSync(file, 'X\nb\n');
    assert.deepEqual(lines.read(), ['b']);
  });

  it('frees the disk blocks of what it has read (a flush line a second for days), keeping the size and every line after them', () => {
    const file = join(dir, 'dns.flushes');
    const lines = new AppendedLines(file);
    const line = (i: number) => `${(1_700_000_000 + i).toFixed(6)} ${i * 1000}`;
    const read: string[] = [];
    let written = 0;
    // 20 rounds of 1,000 lines (~460 KiB in all), each round ending in a line cut in two: its rest comes next round.
    for (let round = 0; round < 20; round++) {
      const text = Array.from({ length: 1000 }, (_, j) => line(round * 1000 + j)).join('\n');
      appendFileSync(file, round === 0 ? text : '\n' + text);
      written += 1000;
      read.push(...lines.read());
    }
    appendFileSync(file, '\n');
    read.push(...lines.read());
    assert.deepEqual(read, Array.from({ length: written }, (_, i) => line(i)));
    const { size, blocks } = statSync(file);
    const expectedSize = read.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    assert.equal(size, expectedSize, 'the size stays');
    // Still allocated: at most what was read since the last release (64 KiB) and three 4 KiB blocks (the edge of the
    // hole, the file's last, one of ext4's extent map); the old code kept all ~460 KiB.
    assert.ok(blocks * 512 <= (64 << 10) + 3 * 4096, `${blocks * 512} bytes allocated of ${size}`);
  });
});
