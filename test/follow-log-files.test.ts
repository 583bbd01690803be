import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { Database } from '../ts/duckdb/database';
import { LogSchema } from '../ts/schema/log-schema';
import { ArrowIpcSink } from '../ts/sinks/arrow-ipc-sink';
import { ZeekLogs } from '../ts/spool/zeek-logs';
import { removeDir, tempDir } from './helpers/logs';

// analyze --follow's Zeek writes each log into one Arrow IPC file for as long as the run lasts (days): what a commit
// took into the database must not stay on disk twice, and later commits must still read their rows.
describe("analyze --follow's log files: rows committed leave the disk", () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  const rows = 20_000;

  /** A log `t` in `at` of three batches of `rows` rows, flushed after each at network time 1, 2, 3 s, with idle
   * flushes (no new rows, as Zeek's logger flushes every second) between them; returns the file's size at each. */
  async function writeLog(at: string): Promise<{ sizes: number[]; close: () => Promise<void> }> {
    mkdirSync(at);
    const schema = LogSchema.fromHeader('t', ['n', 's'], ['count', 'string']);
    writeFileSync(join(at, 't.schema.json'), JSON.stringify(schema.toJSON()));
    const writer = await new ArrowIpcSink(at).openLog(schema, 't');
    const sizes: number[] = [];
    for (let k = 0; k < 3; k++) {
      const n = BigUint64Array.from({ length: rows }, (_, i) => BigInt(k * rows + i));
      const s = Array.from({ length: rows }, (_, i) => `row ${k * rows + i} ${'x'.repeat(90)}`);
      await writer.write(new arrow.Table({ n: arrow.makeVector(n), s: arrow.vectorFromArray(s, new arrow.Utf8()) }).batches[0]);
      await writer.flush();
      sizes.push(statSync(join(at, 't.arrows')).size);
      for (let idle = 0; idle < 100; idle++) appendFileSync(join(at, 't.flushes'), `${(k + 1 + idle / 100).toFixed(6)} ${sizes[k]}\n`);
    }
    return { sizes, close: () => writer.close() };
  }

  it('frees the blocks of every committed range, keeps the file size and the schema, and reads the rows after them exactly', async () => {
    const at = join(dir, 'taken');
    const { sizes, close } = await writeLog(at);
    const logs = new ZeekLogs(at, at);
    const db = await Database.open(':memory:');
    try {
      for (let k = 0; k < 3; k++) {
        const ranges = logs.rangesBefore((k + 1) * 1_000_000);
        assert.deepEqual([...ranges], [['t', { from: k === 0 ? 0 : sizes[k - 1], to: sizes[k] }]]);
        assert.deepEqual(await logs.append(db, ranges), { t: rows });
        logs.take(ranges);
        const file = statSync(join(at, 't.arrows'));
        assert.equal(file.size, sizes[2], 'the size stays: offsets of later flushes hold');
        // What is still on disk: the batches not committed, plus at most four 4 KiB blocks (the schema's, the one the
        // commit ends in, the file's last, and one of ext4's extent map, which a hole splits).
        assert.ok(file.blocks * 512 <= sizes[2] - sizes[k] + 4 * 4096, `${file.blocks * 512} bytes allocated after commit ${k + 1} (sizes ${sizes})`);
      }
      const [sum] = await db.all('SELECT count(*)::BIGINT AS c, sum(n)::BIGINT AS n, count(DISTINCT s)::BIGINT AS s FROM t');
      const all = 3 * rows;
      assert.deepEqual(sum, { c: BigInt(all), n: BigInt(all * (all - 1) / 2), s: BigInt(all) });
    } finally {
      db.close();
      await close();
    }
  });

  it('a range not taken (a commit that did not happen) is taken whole by the next commit, though the flushes before it are gone', async () => {
    const at = join(dir, 'not-taken');
    const { sizes, close } = await writeLog(at);
    const logs = new ZeekLogs(at, at);
    try {
      assert.deepEqual([...logs.rangesBefore(1_500_000)], [['t', { from: 0, to: sizes[0] }]]);
      assert.deepEqual([...logs.rangesBefore(2_500_000)], [['t', { from: 0, to: sizes[1] }]]);
      const ranges = logs.rangesBefore(2_600_000);
      assert.deepEqual([...ranges], [['t', { from: 0, to: sizes[1] }]]);
      logs.take(ranges);
      assert.deepEqual([...logs.rangesBefore(3_000_000)], [['t', { from: sizes[1], to: sizes[2] }]]);
      assert.deepEqual(logs.notFlushedAt(3_990_000, ['t']), []);
      assert.deepEqual(logs.notFlushedAt(4_000_000, ['t']), ['t']);
    } finally {
      await close();
    }
  });
});
