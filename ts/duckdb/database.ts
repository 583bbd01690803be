import {
  DuckDBConnection, DuckDBInstance, DuckDBMaterializedResult, DuckDBScalarFunction, DuckDBValue, VARCHAR,
} from '@duckdb/node-api';
import { stringFromTsv } from '../schema/zeek-text';

// Macros the mapping's SQL for log text relies on (see schema/mapping.ts; useLogText()).
const MACROS = [
  // modp_dtoa's rounding of a fraction of µs: above half up, exactly half up when odd or zero.
  `CREATE OR REPLACE TEMP MACRO zeek_round_frac(t) AS trunc(t) + CASE WHEN t - trunc(t) > 0.5
     OR (t - trunc(t) = 0.5 AND (trunc(t) = 0 OR trunc(t) % 2 = 1)) THEN 1 ELSE 0 END`,
  `CREATE OR REPLACE TEMP MACRO zeek_abs_micros(a) AS CASE WHEN a >= 2147483647 THEN round(a * 1000000)
     ELSE trunc(a) * 1000000 + zeek_round_frac((a - trunc(a)) * 1000000) END`,
  // Seconds (double) to µs exactly as Zeek's ASCII writer prints them.
  `CREATE OR REPLACE TEMP MACRO zeek_micros(v) AS CAST(sign(v) * zeek_abs_micros(abs(v)) AS BIGINT)`,
  // A TSV string field's text to the column value; only text with escapes needs the UDF.
  `CREATE OR REPLACE TEMP MACRO zeek_tsv_string(t, empty) AS CASE WHEN t = empty THEN ''
     WHEN contains(t, '\\') THEN zeek_unescape_tsv(t) ELSE t END`,
];

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
      name: 'zeek_unescape_tsv',
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
    for (const sql of MACROS) await this.connection.run(sql);
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

  /** Runs `work` in one transaction: all of it lands or none. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
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
