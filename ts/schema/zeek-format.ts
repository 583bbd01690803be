// Values of a log table written back as Zeek's ASCII writer writes them
// (default separators), for the round trip and for `--format zeek`.
import { ZeekScalar, ZeekType } from './zeek-type';
import { stringBytes, tsvEscape } from './zeek-text';
import { SCALARS } from './mapping';

const TAB = 0x09;
const COMMA = 0x2c;
const UNSET = '-';
const EMPTY = '(empty)';

function formatString(value: string, inSet: boolean): string {
  if (value === '') return EMPTY;
  const bytes = stringBytes(value);
  // Zeek escapes the first byte of a string that equals a marker.
  const text = tsvEscape(bytes, inSet ? [TAB, COMMA] : [TAB]);
  if (text === UNSET || text === EMPTY) return '\\x' + bytes[0].toString(16) + text.slice(1);
  return text;
}

function formatScalar(value: unknown, scalar: ZeekScalar, inSet: boolean): string {
  if (value === null || value === undefined) return UNSET;
  const entry = SCALARS[scalar];
  return entry.text ? formatString(String(value), inSet) : entry.format(value);
}

function items(value: unknown): unknown[] {
  return Array.isArray(value) ? value : (value as { items: unknown[] }).items;
}

/** One field's text. */
export function formatField(value: unknown, type: ZeekType): string {
  if (value === null || value === undefined) return UNSET;
  if (type.kind === 'scalar') return formatScalar(value, type.name, false);
  const list = items(value);
  if (list.length === 0) return EMPTY;
  return list.map(v => formatScalar(v, type.element, true)).join(',');
}

/** One log line from its fields' values, as the ASCII writer writes it. */
export function formatLine(values: unknown[], types: ZeekType[]): string {
  const line = values.map((v, i) => formatField(v, types[i])).join('\t');
  // A line that would start like a header has its first byte escaped.
  return line.startsWith('#') ? '\\x23' + line.slice(1) : line;
}
