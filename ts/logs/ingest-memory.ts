// What bounds ingest's memory whatever the number and size of the files: DuckDB's buffer pool (by default 80% of
// the machine's RAM, grown with the rows loaded) is capped, and read_csv's buffers are made to fit inside the cap.
import { Database } from '../duckdb/database';

/** DuckDB's memory_limit on ingest's database, as DuckDB writes it: chosen by measurement (DEVELOPERS.md). */
const INGEST_MEMORY_LIMIT = '256.0 MiB';

/** DuckDB threads for ingest: each scanning thread holds its own read buffers; the machines measured had 2 cores. */
const INGEST_THREADS = 2;

/** The longest TSV line read (DuckDB's default): a longer one is a bad line, named by file and line. */
export const MAX_LINE_BYTES = 2 << 20;

/** read_csv's read buffer: DuckDB's default is 16 of the longest line, 32 MiB a scanning thread. */
export const CSV_BUFFER_BYTES = 4 * MAX_LINE_BYTES;

/** Caps DuckDB's memory on ingest's database (the whole instance: ingest owns it for the run). */
export async function boundIngestMemory(db: Database): Promise<void> {
  await db.run(`SET memory_limit = '${INGEST_MEMORY_LIMIT.replace(' ', '')}'`);
  await db.run(`SET threads = ${INGEST_THREADS}`);
}
