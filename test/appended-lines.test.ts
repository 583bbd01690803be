import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
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
});
