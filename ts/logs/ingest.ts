import { systemReason } from '../common/system-error';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../duckdb/database';
import { LogTables } from '../duckdb/log-tables';
import { ScannedLog, scanLogFile } from './log-file-scan';
import { CombinedTsv } from './combined-tsv';
import { boundIngestMemory } from './ingest-memory';
import { IngestProblem, fileProblem } from './ingest-problem';
import { IngestRun, scanNew } from './ingest-run';
import { listLogFiles } from './log-files';
import { ingestFile } from './load-file';
import { BatchedLog, TsvGroup, batched, groupTsv, soleSignature, tooWide } from './tsv-groups';
import { ingestCombined, ingestDirect } from './tsv-batch';
import { DIRECT_BYTES, bigFilesEnd } from './big-files';

// Ingest in files by concern: log-files (listing), tsv-groups (peeking, grouping), tsv-batch (batches of one
// header), load-file and log-pieces (a file on its own, retried line by line), tsv-insert (DuckDB's rejects in our
// words), ingest-problem (problems, bad lines counted); this file runs the loaders in parallel.
export { IngestProblem, formatProblem } from './ingest-problem';

export interface IngestSummary {
  filesIngested: number;
  /** Files whose content was already in the database (or twice in this run). */
  filesSkipped: number;
  rows: number;
  rowsByLog: Record<string, number>;
  problems: IngestProblem[];
}

export interface IngestOptions {
  onFile?: (file: string, done: number, total: number) => void;
  /** Keep each table's rows in the order of the log lines (slower: DuckDB then writes through its WAL). */
  keepOrder?: boolean;
}

/** Small logs sharing a header are copied into one file of about this size for one scan (combined-tsv.ts). */
const COMBINED_BYTES = 64 << 20;

/** Files in one batch at most: what the batch keeps of each is bounded too. */
const BATCH_FILES = 1_000;

/**
 * Groups loading at once, each on its own connection. DuckDB commits one transaction at a time, and a commit that
 * writes a big partial row group (x509's SAN lists: seconds) held up the other loader's commit: with a third,
 * two keep the 2 cores busy meanwhile (DEVELOPERS.md, "Ingest at read_csv's pace").
 */
const LOADERS = 3;

/** Brings Zeek logs (TSV or JSON, plain or gzipped) into a table per log path. */
export class LogIngester {
  static async ingest(db: Database, inputs: string[], options: IngestOptions = {}): Promise<IngestSummary> {
    const run: IngestRun = {
      db, tables: await LogTables.open(db), tmp: '', problems: [], rowsByLog: {}, tsvSchemas: new Map(), known: new Set(), skipped: 0,
    };
    return ingestAll(run, inputs, options);
  }
}

async function ingestAll(run: IngestRun, inputs: string[], options: IngestOptions): Promise<IngestSummary> {
  const files = await listLogFiles(inputs, run.problems);
  run.known = await run.tables.knownFiles();
  run.tmp = await mkdtemp(join(tmpdir(), 'zeek-arrow-ingest-'));
  await run.db.useLogText();
  await boundIngestMemory(run.db);
  // Loading files in parallel without keeping line order roughly halves what commits cost.
  await run.db.run(`SET preserve_insertion_order = ${options.keepOrder ? 'true' : 'false'}`);
  let ingested = 0;
  let done = 0;
  const progress = (n: number, file: string) => { options.onFile?.(file, done, files.length); done += n; };
  try {
    const { groups, alone, json } = await groupTsv(run, files);
    const ready: TsvGroup[] = [];
    for (const group of groups) {
      try {
        await run.tables.ensure(group.section.schema);
        run.tsvSchemas.set(group.section.schema.path, group.section.schema);
        ready.push(group);
      } catch (e) {
        // Every file of the group is named: none of them has a table.
        for (const { file } of group.files) {
          run.problems.push(fileProblem(file, (e as Error).message, { line: group.section.typesLine }));
        }
        progress(group.files.length, group.files[0].file);
      }
    }
    // Loaders at once: one's single-threaded commit overlaps the others' scans,
    // and the files of one batch are read and copied while another batch loads.
    const later: ScannedLog[] = [];
    // Files of a batch that failed as a whole: read again, one at a time.
    const retry: string[] = [];
    const connections = [run.db, ...await Promise.all(Array.from({ length: LOADERS - 1 }, async () => {
      const own = await run.db.fork();
      await own.useLogText();
      return own;
    }))];
    try {
      const queue = ready.sort((a, b) => b.bytes - a.bytes);
      let batch = 0;
      await Promise.all(connections.map(async db => {
        for (;;) {
          while (queue.length && queue[0].next >= queue[0].files.length) queue.shift();
          const group = queue[0];
          if (!group) return;
          const first = group.files[group.next];
          if (first.bytes >= DIRECT_BYTES) {
            const end = bigFilesEnd(group.files, group.next);
            const big = group.files.slice(group.next, end);
            group.next = end;
            const logs: ScannedLog[] = [];
            for (const { file } of big) {
              progress(1, file);
              const log = await scanNew(run, file);
              if (!log) continue;
              if (log.truncated || log.cut || tooWide(log, [group.section]) || !soleSignature(log, group.signature)) later.push(log);
              else logs.push(log);
            }
            for (const gzip of [false, true]) {
              const some = logs.filter(log => log.gzip === gzip);
              if (some.length === 0) continue;
              if (await ingestDirect(run, db, group.section, some)) ingested += some.length;
              else if (some.length === 1) later.push(some[0]);
              else retry.push(...some.map(log => log.file));
            }
            continue;
          }
          const combined = CombinedTsv.create(join(run.tmp, `combined-${batch++}.log`));
          const logs: BatchedLog[] = [];
          try {
            while (combined.size < COMBINED_BYTES && combined.files < BATCH_FILES && group.next < group.files.length
              && group.files[group.next].bytes < DIRECT_BYTES) {
              const { file } = group.files[group.next++];
              progress(1, file);
              try {
                let kept = false;
                const log = await combined.add(file, log => {
                  if (run.known.has(log.sha256)) {
                    run.skipped++;
                    return false;
                  }
                  run.known.add(log.sha256);
                  // The full scan can find what the first 64 KB did not: a broken gzip, another header later.
                  if (log.truncated || tooWide(log, [group.section]) || !soleSignature(log, group.signature)) {
                    later.push(log);
                    return false;
                  }
                  kept = true;
                  return true;
                });
                if (kept) logs.push(batched(log));
              } catch (e) {
                run.problems.push(fileProblem(file, `cannot read: ${systemReason(e)}`));
              }
            }
          } finally {
            combined.close();
          }
          if (logs.length === 0) continue;
          if (await ingestCombined(run, db, group.section, combined, logs)) ingested += logs.length;
          else retry.push(...logs.map(log => log.file));
          await rm(combined.path, { force: true });
        }
      }));
    } finally {
      for (const db of connections.slice(1)) db.close();
    }
    // The rest one at a time; TSV before JSON, so JSON logs of the same path take their types.
    for (const file of alone) {
      const log = await scanNew(run, file);
      if (log) later.push(log);
    }
    for (const file of retry) {
      try {
        later.push(await scanLogFile(file));
      } catch (e) {
        run.problems.push(fileProblem(file, `cannot read: ${systemReason(e)}`));
      }
    }
    for (const log of later) {
      progress(1, log.file);
      if (await ingestFile(run, log)) ingested++;
    }
    later.length = 0;
    for (const file of json) {
      const log = await scanNew(run, file);
      if (!log) continue;
      progress(1, log.file);
      if (await ingestFile(run, log)) ingested++;
    }
  } finally {
    await rm(run.tmp, { recursive: true, force: true });
  }
  const rows = Object.values(run.rowsByLog).reduce((a, b) => a + b, 0);
  return { filesIngested: ingested, filesSkipped: run.skipped, rows, rowsByLog: run.rowsByLog, problems: run.problems };
}
