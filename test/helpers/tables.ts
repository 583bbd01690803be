import { DuckDBStructValue, DuckDBValue } from '@duckdb/node-api';
import { Database } from '../../ts/duckdb/database';
import { LogSchema } from '../../ts/schema/log-schema';

/** A table row's values in the order of the log's (dotted) fields. */
export function fieldValues(row: Record<string, DuckDBValue>, schema: LogSchema): DuckDBValue[] {
  return schema.fields.map(f => {
    const [top, ...rest] = f.name.split('.');
    let value: DuckDBValue = row[top];
    for (const part of rest) value = value === null ? null : (value as DuckDBStructValue).entries[part];
    return value;
  });
}

/** Rows that one table has and the other lacks, counted with duplicates (EXCEPT ALL both ways). */
export async function tableDifference(db: Database, a: string, b: string): Promise<{ onlyA: number; onlyB: number }> {
  const count = async (x: string, y: string) =>
    Number((await db.all(`SELECT count(*) AS n FROM (SELECT * FROM ${x} EXCEPT ALL SELECT * FROM ${y})`))[0].n);
  return { onlyA: await count(a, b), onlyB: await count(b, a) };
}
