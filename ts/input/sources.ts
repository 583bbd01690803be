// Where the built-in reader's rows come from: a DuckDB query, a Parquet file
// or an Arrow IPC file. Each is a relation DuckDB can select from, and a
// version that changes when the source does (for REREAD and STREAM).
import * as arrow from 'apache-arrow';
import { open, readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Database } from '../duckdb/database';
import { LOCK_WAIT_MS, openWhenFree } from '../duckdb/open-when-free';
import { literal } from '../schema/sql-text';
import { LogSchema } from '../schema/log-schema';
import { parquetReadSelectList } from '../schema/arrow-schema';
import { loadBatches } from './arrow-table';

/** A source opened as a relation of a database, until released. */
export interface OpenRelation {
  db: Database;
  relation: string;
  release(): Promise<void>;
}

export interface RowSource {
  /** Changes when the source changes: the files' identity, size and modification time (ns). */
  version(): Promise<string>;
  /** The source as a relation of an open database (streaming its rows needs it open). */
  open(): Promise<OpenRelation>;
  /** Runs `work` with the source as a relation of an open database. */
  withRelation<T>(work: (db: Database, relation: string) => Promise<T>): Promise<T>;
  /** Each open() after the first holds only what was appended since the one before (STREAM reads nothing twice). */
  readonly appendedOnly?: boolean;
  close(): void;
}

async function withOpen<T>(source: RowSource, work: (db: Database, relation: string) => Promise<T>): Promise<T> {
  const opened = await source.open();
  try {
    return await work(opened.db, opened.relation);
  } finally {
    await opened.release();
  }
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
class DuckDbQuery implements RowSource {
  constructor(private dbPath: string, private sql: string) {}

  async version(): Promise<string> {
    // Commits land in the write-ahead log first, and in the file at a checkpoint.
    return `${await fileVersion(this.dbPath)}|${await fileVersion(`${this.dbPath}.wal`)}`;
  }

  async open(): Promise<OpenRelation> {
    await mustExist(this.dbPath);
    // A writer between reads holds the file only while it commits: wait for it rather than fail the read.
    const db = await openWhenFree(this.dbPath, { access_mode: 'READ_ONLY' }, LOCK_WAIT_MS);
    return { db, relation: `(${this.sql.trim().replace(/;+$/, '')}) AS source`, release: async () => db.close() };
  }

  withRelation<T>(work: (db: Database, relation: string) => Promise<T>): Promise<T> {
    return withOpen(this, work);
  }

  close(): void {}
}

/** A Parquet file; one zeek-arrow wrote (zeek.fields in its metadata) has its intervals read back from µs. */
class ParquetFile implements RowSource {
  // The open itself is kept, so that reads started together share one database.
  private db?: Promise<Database>;

  constructor(private path: string) {}

  version(): Promise<string> {
    return fileVersion(this.path);
  }

  async open(): Promise<OpenRelation> {
    await mustExist(this.path);
    const db = await (this.db ??= Database.open(':memory:'));
    const file = `read_parquet(${literal(this.path)})`;
    const metadata = await db.all(
      `SELECT decode(value) AS fields FROM parquet_kv_metadata(${literal(this.path)}) WHERE decode(key) = 'zeek.fields'`);
    const release = async () => undefined;
    if (metadata.length === 0) return { db, relation: file, release };
    const schema = LogSchema.fromJSON({ path: 'source', fields: JSON.parse(String(metadata[0].fields)) });
    return { db, relation: `(SELECT ${parquetReadSelectList(schema)} FROM ${file}) AS source`, release };
  }

  withRelation<T>(work: (db: Database, relation: string) => Promise<T>): Promise<T> {
    return withOpen(this, work);
  }

  close(): void {
    this.db?.then(db => db.close(), () => undefined);
    this.db = undefined;
  }
}

/** Record batches made elsewhere (an Arrow IPC file, a user's reader), loaded into an in-memory table. */
export class ArrowBatches implements RowSource {
  // The open itself is kept, so that reads started together share one database.
  private db?: Promise<Database>;

  /** `appendedOnly`: each load() gives only the batches added since the one before. */
  constructor(private load: () => Promise<{ schema: arrow.Schema; batches: arrow.RecordBatch[] }>,
    private versionOf: () => Promise<string> = async () => String(Date.now()), readonly appendedOnly = false) {}

  version(): Promise<string> {
    return this.versionOf();
  }

  async open(): Promise<OpenRelation> {
    const { schema, batches } = await this.load();
    const db = await (this.db ??= Database.open(':memory:'));
    await loadBatches(db, 'source', schema, batches);
    return { db, relation: 'source', release: async () => { await db.run('DROP TABLE source'); } };
  }

  withRelation<T>(work: (db: Database, relation: string) => Promise<T>): Promise<T> {
    return withOpen(this, work);
  }

  close(): void {
    this.db?.then(db => db.close(), () => undefined);
    this.db = undefined;
  }
}

/** An Arrow IPC file (file or stream format). */
function arrowFile(path: string): ArrowBatches {
  return new ArrowBatches(async () => {
    await mustExist(path);
    const table = arrow.tableFromIPC(await readFile(path));
    return { schema: table.schema, batches: table.batches };
  }, () => fileVersion(path));
}

const concat = (parts: Uint8Array[]) => Buffer.concat(parts);

/**
 * An Arrow IPC stream file followed as it grows (STREAM mode): each read takes only the bytes
 * after those read before, up to the last complete message. A file replaced or truncated is read
 * from its start again; one in the IPC file format (not appendable) is read whole, its batches
 * past those given before.
 */
class ArrowStreamTail {
  /** The schema message and any dictionaries: what each new part is read after. */
  private head?: Uint8Array;
  private offset = 0;
  private identity = '';
  private batchesGiven = 0;

  constructor(private path: string) {}

  async read(): Promise<{ schema: arrow.Schema; batches: arrow.RecordBatch[] }> {
    await mustExist(this.path);
    const file = await open(this.path, 'r');
    let bytes: Uint8Array;
    try {
      const s = await file.stat({ bigint: true });
      const identity = `${s.dev}:${s.ino}`;
      if (identity !== this.identity || Number(s.size) < this.offset) {
        this.identity = identity;
        this.head = undefined;
        this.offset = 0;
        this.batchesGiven = 0;
      }
      bytes = new Uint8Array(Number(s.size) - this.offset);
      if (bytes.length > 0) await file.read(bytes, 0, bytes.length, this.offset);
    } finally {
      await file.close();
    }
    if (this.offset === 0 && Buffer.from(bytes.subarray(0, 6)).toString('latin1') === 'ARROW1') {
      const table = arrow.tableFromIPC(bytes);
      const batches = table.batches.slice(this.batchesGiven);
      this.batchesGiven = table.batches.length;
      return { schema: table.schema, batches };
    }
    const parts: Uint8Array[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + 8 <= bytes.length) {
      // A message: 0xFFFFFFFF and the metadata's length (or, before Arrow 0.15, the length alone), the metadata, the body.
      const first = view.getInt32(at, true);
      const prefix = first === -1 ? 8 : 4;
      const metadataLength = first === -1 ? view.getInt32(at + 4, true) : first;
      if (metadataLength === 0) break; // the end of the stream
      if (metadataLength < 0 || at + prefix + metadataLength > bytes.length) break;
      const message = arrow.Message.decode(bytes.subarray(at + prefix, at + prefix + metadataLength));
      const next = at + prefix + metadataLength + Number(message.bodyLength);
      if (next > bytes.length) break; // still being written
      const whole = bytes.subarray(at, next);
      if (message.headerType === arrow.MessageHeader.RecordBatch) parts.push(whole);
      else this.head = concat([...(this.head ? [this.head] : []), whole]);
      at = next;
    }
    this.offset += at;
    if (!this.head) throw new Error(`'${this.path}' has no complete Arrow IPC schema message`);
    const batches = parts.length > 0 ? arrow.tableFromIPC(concat([this.head, ...parts])).batches : [];
    return { schema: arrow.tableFromIPC(this.head).schema, batches };
  }
}

const ARROW_EXTENSIONS = new Set(['.arrow', '.arrows', '.ipc', '.feather']);

/**
 * The source a stream names: SQL when a database is given, else a file by its extension.
 * `follow` (STREAM mode): an Arrow IPC file is read from where the last read ended.
 */
export function sourceFor(source: string, config: Record<string, string>, follow = false): RowSource {
  if (config.db) return new DuckDbQuery(config.db, source);
  const extension = extname(source).toLowerCase();
  if (extension === '.parquet') return new ParquetFile(source);
  if (ARROW_EXTENSIONS.has(extension)) {
    if (!follow) return arrowFile(source);
    const tail = new ArrowStreamTail(source);
    return new ArrowBatches(() => tail.read(), () => fileVersion(source), true);
  }
  throw new Error(`cannot tell what '${source}' is: give $config["db"] (InputArrow::db) for SQL, or a .parquet or .arrow file`);
}
