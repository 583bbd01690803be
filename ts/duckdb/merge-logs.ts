// Adds the log tables of another zeek-arrow DuckDB file to a database: each
// log's table made or widened to hold the other's fields, then its rows
// appended by column name.
import { Database } from './database';
import { LogTables, META } from './log-tables';
import { LogSchema } from '../schema/log-schema';
import { ident, literal } from '../schema/sql-text';

/** Appends every log of the DuckDB file `from` to `db`; returns rows added per log path. */
export async function mergeLogs(db: Database, from: string): Promise<Record<string, number>> {
  const alias = 'zeek_arrow_merge';
  await db.run(`ATTACH ${literal(from)} AS ${alias} (READ_ONLY)`);
  try {
    const present = await db.all(`SELECT 1 FROM duckdb_tables() WHERE database_name = '${alias}' AND schema_name = '${META}'
      AND table_name = 'log_schemas'`);
    if (!present.length) return {};
    const tables = await LogTables.open(db);
    const added: Record<string, number> = {};
    const schemas = await db.all(`SELECT log_path, table_name, fields FROM ${alias}.${META}.log_schemas ORDER BY log_path`);
    await db.transaction(async () => {
      for (const row of schemas) {
        const schema = LogSchema.fromJSON({ path: String(row.log_path), fields: JSON.parse(String(row.fields)) });
        await tables.ensure(schema);
        const source = `${alias}.main.${ident(String(row.table_name))}`;
        const inserted = await db.query(`INSERT INTO ${ident(tables.tableOf(schema.path))} BY NAME SELECT * FROM ${source}`);
        added[schema.path] = Number(inserted.rowsChanged);
      }
    });
    return added;
  } finally {
    await db.run(`DETACH ${alias}`);
  }
}
