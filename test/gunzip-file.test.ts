import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { gunzipFile } from '../ts/common/gunzip-file';
import { suiteTempDirs } from './helpers/logs';

// A truncated gzip gives a reader every byte zlib can decode before the break, however slowly it reads: Node's
// Gunzip dropped the output still in its buffer when it failed (an ingest under load lost 76 lines this way).
describe('a gzip file read whole or up to where it breaks off', () => {
  const tempDir = suiteTempDirs();
  const lines: string[] = [];
  for (let i = 0; i < 200_000; i++) lines.push(`${1_700_000_000 + i}.000000\tC${i}abcdefghij\t10.0.0.${i % 255}\t${i}\ttcp\t${i * 7}`);
  const whole = gzipSync(lines.join('\n') + '\n');
  const cut = whole.subarray(0, Math.floor(whole.length * 0.6));

  async function read(file: string, readBytes: number, pauseMs: number): Promise<{ bytes: number; error?: string }> {
    const { stream } = gunzipFile(file, readBytes);
    let bytes = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (pauseMs) await new Promise(resolve => setTimeout(resolve, pauseMs));
      }
    } catch (e) {
      return { bytes, error: (e as Error).message };
    }
    return { bytes };
  }

  it('a truncated file: every byte zlib decodes before the break, then its error, for fast and slow readers', async () => {
    const file = join(tempDir(), 'cut.log.gz');
    writeFileSync(file, cut);
    // zlib itself, told not to fail at the end, says how many bytes the cut file holds.
    const decodable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).length;
    assert.ok(decodable > 7_000_000 && decodable < 12_000_000, String(decodable));
    for (const [readBytes, pauseMs] of [[1 << 20, 0], [1 << 20, 20], [4096, 20], [65536, 1]]) {
      assert.deepEqual(await read(file, readBytes, pauseMs), { bytes: decodable, error: 'unexpected end of file' }, `${readBytes} ${pauseMs}`);
    }
  });

  it('a truncated file whose last pieces arrive while zlib still decodes megabytes from one before them: all of them', async () => {
    // 12 MiB of zeros deflate to ~12 KiB: while zlib turns one 4 KiB read into 4 MiB, the file's last reads and
    // its end arrive; zlib then decoded the last read with Z_FINISH and dropped that call's output (every run).
    let seed = 7;
    const text = (n: number) => Buffer.from(Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31).toString(36)).join(''));
    const deflated = gzipSync(Buffer.concat([text(100), Buffer.alloc(12 << 20), text(300)]));
    const file = join(tempDir(), 'zeros.log.gz');
    const cutEnd = deflated.subarray(0, deflated.length - 400);
    writeFileSync(file, cutEnd);
    const decodable = gunzipSync(cutEnd, { finishFlush: constants.Z_SYNC_FLUSH }).length;
    assert.ok(decodable > 12 << 20, String(decodable));
    for (let run = 0; run < 5; run++) assert.deepEqual(await read(file, 4096, 0), { bytes: decodable, error: 'unexpected end of file' });
  });

  it('a whole file: all of it, no error', async () => {
    const file = join(tempDir(), 'whole.log.gz');
    writeFileSync(file, whole);
    assert.deepEqual(await read(file, 1 << 20, 5), { bytes: gunzipSync(whole).length });
  });
});
