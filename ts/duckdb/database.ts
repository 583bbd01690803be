import {
  DuckDBConnection, DuckDBInstance, DuckDBMaterializedResult, DuckDBScalarFunction, DuckDBValue, VARCHAR,
} from '@duckdb/node-api';
import { stringFromTsv } from '../schema/zeek-text';
import { LOG_TEXT_MACROS, UNESCAPE_TSV } from '../schema/log-text-sql';

export type Row = Record<string, DuckDBValue>;

/** A DuckDB database file opened for zeek-arrow: no extension downloads, UTC. */
export class Database {
  /** Whether this connection has the functions that turn log text into columns. */
  private hasLogText = false;

  private constructor(readonly path: string, readonly instance: DuckDBInstance, readonly connection: DuckDBConnection,
    private readonly ownsInstance = true) {}

  static async open(path: string, settings: Record<string, string> = {}): Promise<Database> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, {
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        ...settings,
      });
    } catch (e) {
      throw new Error(`cannot open DuckDB database '${path}': ${(e as Error).message}`);
    }
    const connection = await instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return new Database(path, instance, connection);
  }

  /** Another connection to the same database, for work that runs beside this one's. */
  async fork(): Promise<Database> {
    const connection = await this.instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return new Database(this.path, this.instance, connection, false);
  }

  /**
   * The UDF and macros the mapping's SQL for log text uses (schema/mapping.ts), on this connection. Only ingest
   * needs them: they cost ~13 ms a connection, which every other command and each log's appender does without.
   */
  async useLogText(): Promise<void> {
    if (this.hasLogText) return;
    this.hasLogText = true;
    this.connection.registerScalarFunction(DuckDBScalarFunction.create({
      name: UNESCAPE_TSV,
      returnType: VARCHAR,
      parameterTypes: [VARCHAR],
      mainFunction: (_info, input, output) => {
        const values = input.getColumnValues(0);
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          output.setItem(i, v === null ? null : stringFromTsv(String(v)));
        }
        output.flush();
      },
    }));
    for (const sql of LOG_TEXT_MACROS) await this.connection.run(sql);
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  async all(sql: string): Promise<Row[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjects();
  }

  /** Like all(), for SQL holding text from outside: one statement is prepared and run, never more. */
  async allOfOne(sql: string): Promise<Row[]> {
    const prepared = await this.connection.prepare(sql);
    try {
      return (await prepared.runAndReadAll()).getRowObjects();
    } finally {
      prepared.destroySync();
    }
  }

  async query(sql: string): Promise<DuckDBMaterializedResult> {
    return this.connection.run(sql);
  }

  /** Whether a transaction() is under way on this connection. */
  private inTransaction = false;

  /** Runs `work` in one transaction: all of it lands or none. Inside another, it is part of that one. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return work();
    this.inTransaction = true;
    try {
      return await this.ownTransaction(work);
    } finally {
      this.inTransaction = false;
    }
  }

  private async ownTransaction<T>(work: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.run('COMMIT');
      return result;
    } catch (e) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  close(): void {
    this.connection.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
  }
}
