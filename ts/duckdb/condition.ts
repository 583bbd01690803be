// A condition given by the user (extract --where) checked to be one SQL expression over a table before it goes
// into a query: text that ends the condition and starts another clause or statement is refused by DuckDB's parser.
import { Database } from './database';

/** The JSON DuckDB's parser makes of a SELECT (json_serialize_sql). */
interface Parsed {
  error: boolean;
  error_type?: string;
  error_message?: string;
  position?: string;
  statements?: { node: Record<string, unknown> & { where_clause?: unknown } }[];
}

/** The condition in the text it goes into: parenthesised, and a newline so a `--` comment in it ends inside. */
export const asCondition = (text: string) => `(${text}\n)`;

/**
 * Checks that `text` is one boolean expression over `table` and nothing else: parsed as `SELECT * FROM table WHERE
 * <text>`, it is one SELECT that differs from `SELECT * FROM table WHERE TRUE` only in its WHERE (no second statement,
 * no ORDER BY, UNION, GROUP BY, ...); and the same holds for the parenthesised text the caller splices in.
 */
export async function checkCondition(db: Database, table: string, text: string, what = 'the condition'): Promise<void> {
  const prefix = `SELECT * FROM ${table} WHERE `;
  // Parameters, not text: the parser only reads the condition here, nothing of it runs.
  const [row] = (await db.connection.runAndReadAll(`SELECT json_serialize_sql($1::VARCHAR) AS reference,
    json_serialize_sql($2::VARCHAR) AS bare, json_serialize_sql($3::VARCHAR) AS wrapped`,
  [`${prefix}TRUE`, prefix + text, prefix + asCondition(text)])).getRowObjects();
  const withoutWhere = (p: Parsed) => JSON.stringify(p.statements!.map(s => ({ ...s, node: { ...s.node, where_clause: null } })));
  const reference = withoutWhere(JSON.parse(String(row.reference)) as Parsed);
  for (const form of [row.bare, row.wrapped]) {
    const parsed = JSON.parse(String(form)) as Parsed;
    if (parsed.error && parsed.error_type === 'parser') {
      const at = parsed.position === undefined ? '' : ` (character ${Number(parsed.position) - prefix.length + 1})`;
      throw new Error(`${what} is not one SQL expression over ${table}: ${parsed.error_message}${at}`);
    }
    if (parsed.error || parsed.statements?.length !== 1 || withoutWhere(parsed) !== reference || !parsed.statements[0].node.where_clause) {
      throw new Error(`${what} is not one SQL expression over ${table}: it goes on past the condition ` +
        `(another statement or clause: ';', ORDER BY, LIMIT, GROUP BY, UNION, ...)`);
    }
  }
}
