import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { Database } from '../ts/duckdb/database';
import { LogTables } from '../ts/duckdb/log-tables';
import { LogIngester } from '../ts/logs/ingest';
import { exportLogs } from '../ts/logs/export';
import { ParquetSink } from '../ts/sinks';
import { demoLog, demoRows, tempDir } from './helpers/logs';

/** Every file under a directory, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path).map(f => join(name, f)) : [name];
  });
}

// A log's #path (TSV) or _path (JSON) is whatever bytes the file holds. Whatever
// they are: ingest and export write nothing outside --out, lose no stored
// table, and every good file of the run still goes in.
describe('property: any #path/_path bytes through ingest and export', () => {
  it('nothing outside --out, no stored table lost, the good file ingested (seeded)', async () => {
    const path = fc.uint8Array({ minLength: 0, maxLength: 40 }).map(b => Buffer.from(b).toString('latin1'))
      .filter(p => !p.includes('\n') && !p.includes('\r'));
    const dotted = fc.constantFrom('../../escaped', '/tmp/escaped', '..', '.', 'conn_packets', 'PCAP', 'x-y', 'x_y', 'demo', '');
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(path, dotted), { minLength: 1, maxLength: 4 }), fc.boolean(), async (paths, json) => {
      const root = tempDir();
      try {
        const logs = join(root, 'logs');
        const out = join(root, 'a', 'b', 'out');
        mkdirSync(logs);
        writeFileSync(join(logs, '0-good.log'), demoLog(demoRows(3, 0, 'G')));
        paths.forEach((p, i) => {
          if (json) {
            writeFileSync(join(logs, `${i + 1}-fuzz.json`), JSON.stringify({ _path: p, ts: 1700000000.5, uid: `F${i}` }) + '\n');
          } else {
            writeFileSync(join(logs, `${i + 1}-fuzz.log`), Buffer.from(demoLog(demoRows(1, 10 * (i + 1), `F${i}-`), '\u0000')
              .replace('\u0000', () => p), 'latin1'));
          }
        });
        const db = await Database.open(join(root, 'logs.duckdb'));
        try {
          const summary = await LogIngester.ingest(db, [logs]);
          // The good file whole, whatever else the run met.
          assert.equal((await db.all(`SELECT count(*) AS n FROM demo WHERE uid LIKE 'G%'`))[0].n, 3n);
          // Each file went in or was named.
          const named = new Set(summary.problems.filter(p => p.severity === 'error').map(p => p.file));
          assert.ok(summary.filesIngested + named.size >= paths.length + 1 - summary.filesSkipped, JSON.stringify(summary.problems));
          const sink = new ParquetSink(out);
          const problems: string[] = [];
          const rows = await exportLogs(db, sink, undefined, problems);
          await sink.close();
          const tables = await LogTables.open(db);
          assert.deepEqual(problems, []);
          assert.deepEqual(Object.keys(rows).sort(), tables.logPaths());
          for (const log of tables.logPaths()) {
            const stored = (await db.all(`SELECT count(*) AS n FROM "${tables.tableOf(log).replace(/"/g, '""')}"`))[0].n;
            assert.equal(BigInt(rows[log]), stored, log);
          }
          const written = filesUnder(root).filter(f => !f.startsWith('logs') && !f.startsWith('logs.duckdb'));
          const expected = tables.logPaths().map(log => join('a', 'b', 'out', `${tables.tableOf(log)}.parquet`));
          assert.deepEqual(written.filter(f => !relative(join('a', 'b', 'out'), f).startsWith('.zeek-arrow-spill')).sort(), expected.sort());
        } finally {
          db.close();
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }), { seed: 20261201, numRuns: 15 });
  });
});
