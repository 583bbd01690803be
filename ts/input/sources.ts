// Where the built-in reader's rows come from: a DuckDB query, a Parquet file
// or an Arrow IPC file. Each is a relation DuckDB can select from, and a
// version that changes when the source does (for REREAD and STREAM).
import * as arrow from 'apache-arrow';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Database } from '../duckdb/database';
import { literal } from '../duckdb/sql-text';
import { LogSchema } from '../schema/log-schema';
import { parquetReadSelectList } from '../schema/arrow-schema';
import { loadBatches } from './arrow-table';

export interface RowSource {
  /** Changes when the source changes: the files' identity, size and modification time (ns). */
  version(): Promise<string>;
  /** Runs `work` with the source as a relation of an open database. */
  withRelation<T>(work: (db: Database, relation: string) => Promise<T>): Promise<T>;
  close(): void;
}

async function fileVersion(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return 'absent';
  }
}

async function mustExist(path: string): Promise<void> {
  try {
    await stat(path);
  } catch (e) {
    throw new Error(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** `$source` is SQL over the database file `db`, opened read-only for each read so that others can write it between reads. */
export class DuckDbQuery implements RowSource {
  constructor(private dbPath: string, private sql: string) {}

  async version(): Promise<string> {
    // Commits land in the write-ahead log first, and in the file at a checkpoint.
    return `${await fileVersion(this.dbPath)}|${await fileVersion(`${this.dbPath}.wal`)}`;
  }

  async withRelation<T>(work: (db: Database, relation: string) => Promise<T>): Promise<T> {
    await mustExist(this.dbPath);
    const db = await Database.open(this.dbPath, { access_mode: 'READ_ONLY' });
    try {
      return await work(db, `(${this.sql.trim().replace(/;+$/, '')}) AS source`);
    } finally {
      db.close();
    }
  }

  close(): void {}
}

/** A Parquet file; one zeek-arrow wrote (zeek.fields in its metadata) has its intervals read back from µs. */
export class ParquetFile implements RowSource {
  private db?: Database;

  constructor(private path: string) {}

  version(): Promise<string> {
    return fileVersion(this.path);
  }

  async withRelation<T>(work: (db: Database, relation: string) => Promise<T>): Promise<T> {
    await mustExist(this.path);
    this.db ??= await Database.open(':memory:');
    const file = `read_parquet(${literal(this.path)})`;
    const metadata = await this.db.all(
      `SELECT decode(value) AS fields FROM parquet_kv_metadata(${literal(this.path)}) WHERE decode(key) = 'zeek.fields'`);
    if (metadata.length === 0) return work(this.db, file);
    const schema = LogSchema.fromJSON({ path: 'source', fields: JSON.parse(String(metadata[0].fields)) });
    return work(this.db, `(SELECT ${parquetReadSelectList(schema)} FROM ${file}) AS source`);
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

/** Record batches made elsewhere (an Arrow IPC file, a user's reader), loaded into an in-memory table. */
export class ArrowBatches implements RowSource {
  private db?: Database;

  constructor(private load: () => Promise<{ schema: arrow.Schema; batches: arrow.RecordBatch[] }>,
    private versionOf: () => Promise<string> = async () => String(Date.now())) {}

  version(): Promise<string> {
    return this.versionOf();
  }

  async withRelation<T>(work: (db: Database, relation: string) => Promise<T>): Promise<T> {
    const { schema, batches } = await this.load();
    this.db ??= await Database.open(':memory:');
    await loadBatches(this.db, 'source', schema, batches);
    try {
      return await work(this.db, 'source');
    } finally {
      await this.db.run('DROP TABLE source');
    }
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

/** An Arrow IPC file (file or stream format). */
export function arrowFile(path: string): ArrowBatches {
  return new ArrowBatches(async () => {
    await mustExist(path);
    const table = arrow.tableFromIPC(await readFile(path));
    return { schema: table.schema, batches: table.batches };
  }, () => fileVersion(path));
}

const ARROW_EXTENSIONS = new Set(['.arrow', '.arrows', '.ipc', '.feather']);

/** The source a stream names: SQL when a database is given, else a file by its extension. */
export function sourceFor(source: string, config: Record<string, string>): RowSource {
  if (config.db) return new DuckDbQuery(config.db, source);
  const extension = extname(source).toLowerCase();
  if (extension === '.parquet') return new ParquetFile(source);
  if (ARROW_EXTENSIONS.has(extension)) return arrowFile(source);
  throw new Error(`cannot tell what '${source}' is: give $config["db"] (InputArrow::db) for SQL, or a .parquet or .arrow file`);
}
