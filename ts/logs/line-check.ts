// When DuckDB cannot read a file as a whole (a value it cannot cast inside a
// set, malformed JSON, a truncated gzip, sections with different fields), we
// go through it line by line: bad lines are named, good ones copied to a
// temporary file that DuckDB then reads.
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { openLogStream } from './log-file-scan';
import { TsvHeader } from './tsv-header';
import { LogSchema } from '../schema/log-schema';
import { ZeekScalar, zeekTypeName } from '../schema/zeek-type';
import { SCALARS } from '../schema/mapping';
import { shownValue } from '../common/shown-value';

export interface LineProblem {
  line: number;
  field?: string;
  message: string;
}

/** Names what is wrong with a line, or returns undefined when it is fine. */
export type LineCheck = (text: string) => Omit<LineProblem, 'line'> | undefined;

export interface LineRange {
  /** 1-based, inclusive. */
  from: number;
  to: number;
  check?: LineCheck;
  /** Header lines become empty lines too: DuckDB would reject each one it reads, costly by the thousand. */
  blankHeaders?: boolean;
}

function scalarTextOk(scalar: ZeekScalar, text: string): boolean {
  return SCALARS[scalar].tsvOk(text);
}

/** Checks a TSV data line against its header: field count and each value's type. */
export function tsvLineCheck(header: TsvHeader, schema: LogSchema): LineCheck {
  return text => {
    if (text.startsWith('#')) return undefined;
    const values = text.split(header.separator);
    if (values.length !== schema.fields.length) {
      return { message: `expected ${schema.fields.length} fields, found ${values.length}` };
    }
    for (let i = 0; i < values.length; i++) {
      const { name, type } = schema.fields[i];
      const value = values[i];
      if (value === header.unsetField) continue;
      const ok = type.kind === 'scalar'
        ? scalarTextOk(type.name, value)
        : value === header.emptyField || value.split(header.setSeparator)
          .every(e => e === header.unsetField || scalarTextOk(type.element, e));
      if (!ok) return { field: name, message: `'${shownValue(value)}' is not a ${zeekTypeName(type)}` };
    }
    return undefined;
  };
}

function scalarJsonOk(scalar: ZeekScalar, value: unknown): boolean {
  return value === null || SCALARS[scalar].jsonOk(value);
}

/**
 * Checks a JSON log line: valid JSON, an object, each known key of its type.
 * With `recordPath`, records of another `_path` are another log's, left alone.
 */
export function jsonLineCheck(schema: LogSchema, recordPath?: string | null): LineCheck {
  const types = new Map(schema.fields.map(f => [f.name, f.type]));
  return text => {
    if (text.trim() === '') return undefined;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e) {
      return { message: `malformed JSON (${shownValue((e as Error).message)})` };
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return { message: 'not a JSON object' };
    }
    if (recordPath !== undefined && ((record as Record<string, unknown>)._path ?? null) !== recordPath) return undefined;
    for (const [key, value] of Object.entries(record)) {
      const type = types.get(key);
      if (!type) continue;
      const ok = type.kind === 'scalar'
        ? scalarJsonOk(type.name, value)
        : value === null || (Array.isArray(value) && value.every(v => scalarJsonOk(type.element, v)));
      const text = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
      if (!ok) return { field: key, message: `${shownValue(text)} is not a ${zeekTypeName(type)}` };
    }
    return undefined;
  };
}

/**
 * Copies line ranges of a (possibly gzipped, possibly truncated) log into
 * plain files in `dir`, one per range, blanking lines their check rejects.
 */
export async function copyLineRanges(file: string, ranges: LineRange[], dir: string): Promise<{ files: string[]; problems: LineProblem[] }> {
  const files = ranges.map((_, i) => join(dir, `range-${i}.log`));
  const outs = files.map(f => createWriteStream(f));
  const problems: LineProblem[] = [];
  const { stream } = await openLogStream(file);
  // A truncated gzip ends the copy: readline would drop the lines it still holds if the error reached it.
  const input = new PassThrough();
  stream.on('error', () => input.end());
  stream.pipe(input);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  let r = 0;
  for await (const text of lines) {
    line++;
    while (r < ranges.length && line > ranges[r].to) r++;
    if (r >= ranges.length) break;
    if (line < ranges[r].from) continue;
    const problem = ranges[r].check?.(text);
    if (problem) problems.push({ line, ...problem });
    // A bad line stays as an empty line, which DuckDB skips: line numbers keep their meaning.
    const blank = problem || (ranges[r].blankHeaders && text.startsWith('#'));
    if (!outs[r].write(blank ? '\n' : text + '\n')) await once(outs[r], 'drain');
  }
  await Promise.all(outs.map(o => new Promise(resolve => o.end(resolve))));
  return { files, problems };
}
