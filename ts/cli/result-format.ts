import { DuckDBResult, DuckDBValue } from '@duckdb/node-api';

export type OutputFormat = 'table' | 'csv' | 'json';

function text(value: DuckDBValue): string {
  return value === null ? '' : typeof value === 'string' ? value : String(value);
}

function csvCell(value: DuckDBValue): string {
  const s = text(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes a query result to `out` as an aligned table, CSV or a JSON array, chunk by chunk. */
export async function writeResult(result: DuckDBResult, format: OutputFormat, out: NodeJS.WritableStream): Promise<number> {
  const names = result.columnNames();
  let rows = 0;
  if (format === 'json') {
    out.write('[');
    for await (const chunk of result.yieldRowObjectJson()) {
      for (const row of chunk) out.write(`${rows++ ? ',' : ''}\n${JSON.stringify(row)}`);
    }
    out.write(rows ? '\n]\n' : ']\n');
    return rows;
  }
  if (format === 'csv') {
    out.write(names.map(csvCell).join(',') + '\n');
    for await (const chunk of result.yieldRows()) {
      for (const row of chunk) { out.write(row.map(csvCell).join(',') + '\n'); rows++; }
    }
    return rows;
  }
  // An aligned table needs every width first, so it holds the rows.
  const all: string[][] = [];
  for await (const chunk of result.yieldRows()) for (const row of chunk) all.push(row.map(v => v === null ? 'NULL' : text(v)));
  const widths = names.map((n, i) => Math.max(n.length, ...all.map(r => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd() + '\n';
  out.write(line(names));
  out.write(widths.map(w => '-'.repeat(w)).join('-+-') + '\n');
  for (const row of all) out.write(line(row));
  out.write(`(${all.length} row${all.length === 1 ? '' : 's'})\n`);
  return all.length;
}
