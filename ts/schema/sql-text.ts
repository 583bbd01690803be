// Quoting for SQL built as text (kept apart from the type mapping, so commands that only query load no Arrow).

/** Quotes an identifier for DuckDB SQL. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal for DuckDB SQL. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
