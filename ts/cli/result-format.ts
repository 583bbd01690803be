import { DuckDBResult, DuckDBValue } from '@duckdb/node-api';

export type OutputFormat = 'table' | 'csv' | 'json';

function text(value: DuckDBValue): string {
  return value === null ? '' : typeof value === 'string' ? value : String(value);
}

function csvCell(value: DuckDBValue): string {
  const s = text(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes `text`, waiting while `out` is full: a large result never piles up in memory. */
async function put(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>(resolve => out.once('drain', resolve));
}

/** Writes a query result to `out` as an aligned table, CSV or a JSON array, chunk by chunk. */
export async function writeResult(result: DuckDBResult, format: OutputFormat, out: NodeJS.WritableStream): Promise<number> {
  const names = result.columnNames();
  let rows = 0;
  if (format === 'json') {
    await put(out, '[');
    for await (const chunk of result.yieldRowObjectJson()) {
      let text = '';
      for (const row of chunk) text += `${rows++ ? ',' : ''}\n${JSON.stringify(row)}`;
      await put(out, text);
    }
    await put(out, rows ? '\n]\n' : ']\n');
    return rows;
  }
  if (format === 'csv') {
    await put(out, names.map(csvCell).join(',') + '\n');
    for await (const chunk of result.yieldRows()) {
      let text = '';
      for (const row of chunk) text += row.map(csvCell).join(',') + '\n';
      rows += chunk.length;
      await put(out, text);
    }
    return rows;
  }
  // An aligned table needs every width first, so it holds the rows.
  const all: string[][] = [];
  for await (const chunk of result.yieldRows()) for (const row of chunk) all.push(row.map(v => v === null ? 'NULL' : text(v)));
  const widths = names.map(n => n.length);
  for (const row of all) row.forEach((cell, i) => { if (cell.length > widths[i]) widths[i] = cell.length; }); // no spread: 300,000 rows overflow the stack
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd() + '\n';
  let lines = line(names) + widths.map(w => '-'.repeat(w)).join('-+-') + '\n';
  for (let i = 0; i < all.length; i++) {
    lines += line(all[i]);
    if (i % 2048 === 2047) { await put(out, lines); lines = ''; }
  }
  await put(out, lines + `(${all.length} row${all.length === 1 ? '' : 's'})\n`);
  return all.length;
}
