import {
  DuckDBConnection, DuckDBInstance, DuckDBMaterializedResult, DuckDBScalarFunction, DuckDBValue, VARCHAR,
} from '@duckdb/node-api';
import { stringFromTsv } from '../schema/zeek-text';

// Macros the mapping's SQL relies on (see schema/mapping.ts).
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

export interface OpenOptions {
  /** Whether SQL turning log text into columns runs here (schema/mapping.ts): its UDF and macros cost ~13 ms per
   *  connection, which a quick command such as extract does without. Default true. */
  logText?: boolean;
}

/** A DuckDB database file opened for zeek-arrow: no extension downloads, UTC, our macros. */
export class Database {
  private constructor(readonly path: string, readonly instance: DuckDBInstance, readonly connection: DuckDBConnection,
    private readonly logText: boolean, private readonly ownsInstance = true) {}

  static async open(path: string, settings: Record<string, string> = {}, { logText = true }: OpenOptions = {}): Promise<Database> {
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
    const db = new Database(path, instance, connection, logText);
    await db.prepareConnection(connection);
    return db;
  }

  /** Another connection to the same database, for work that runs beside this one's. */
  async fork(): Promise<Database> {
    const connection = await this.instance.connect();
    await this.prepareConnection(connection);
    return new Database(this.path, this.instance, connection, this.logText, false);
  }

  /** Settings, UDFs and macros every connection we run SQL on needs. */
  async prepareConnection(connection: DuckDBConnection): Promise<void> {
    await connection.run(`SET TimeZone = 'UTC'`);
    if (!this.logText) return;
    connection.registerScalarFunction(DuckDBScalarFunction.create({
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
    for (const sql of MACROS) await connection.run(sql);
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  async all(sql: string): Promise<Row[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjects();
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
