import { HeaderLine } from './log-file-scan';
import { LogSchema } from '../schema/log-schema';
import { tsvUnescape } from '../schema/zeek-text';

/** A Zeek ASCII log header: separators, path and the fields with their types. */
export interface TsvHeader {
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
  path?: string;
  fields: string[];
  types: string[];
}

/** A run of data lines written under one header. */
export interface TsvSection {
  header: TsvHeader;
  schema: LogSchema;
  /** First line of the header block (1-based). */
  headerStart: number;
  /** Line of its #types. */
  typesLine: number;
}

export class LogFormatError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, readonly reason: string) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${reason}`);
  }
}

const DEFAULTS = { separator: '\t', setSeparator: ',', emptyField: '(empty)', unsetField: '-' };

/** Reads the header blocks of a TSV log into sections (rotated logs concatenated have several). */
export function parseSections(file: string, headerLines: HeaderLine[], fallbackPath: string): TsvSection[] {
  const sections: TsvSection[] = [];
  let state: Omit<TsvHeader, 'fields' | 'types'> & { fields?: string[]; fieldsLine?: number } = { ...DEFAULTS };
  let blockStart = 0;
  let previousLine = -1;
  for (const { line, text } of headerLines) {
    if (line !== previousLine + 1) blockStart = line;
    previousLine = line;
    // Zeek writes a NUL as \x00; a raw one is damage (and would end the SQL text the header's values go into).
    if (text.includes('\0')) throw new LogFormatError(file, line, 'header line holds a NUL byte');
    if (text.startsWith('#separator')) {
      state = { ...DEFAULTS, separator: Buffer.from(tsvUnescape(text.slice('#separator'.length).trim())).toString('latin1') };
      continue;
    }
    const sep = state.separator;
    const at = text.indexOf(sep);
    const key = (at === -1 ? text : text.slice(0, at)).slice(1);
    const value = at === -1 ? '' : text.slice(at + sep.length);
    switch (key) {
      case 'set_separator': state.setSeparator = value; break;
      case 'empty_field': state.emptyField = value; break;
      case 'unset_field': state.unsetField = value; break;
      case 'path': state.path = value; break;
      case 'fields': state.fields = value.split(sep); state.fieldsLine = line; break;
      case 'types': {
        if (!state.fields) throw new LogFormatError(file, line, '#types without #fields before it');
        const types = value.split(sep);
        const header: TsvHeader = { ...state, fields: state.fields, types };
        let schema: LogSchema;
        try {
          schema = LogSchema.fromHeader(state.path ?? fallbackPath, state.fields, types);
        } catch (e) {
          throw new LogFormatError(file, line, (e as Error).message);
        }
        sections.push({ header, schema, headerStart: blockStart, typesLine: line });
        state = { ...state, fields: undefined, fieldsLine: undefined };
        break;
      }
      default: break; // #open, #close and others carry no schema
    }
  }
  if (state.fields) throw new LogFormatError(file, state.fieldsLine, '#fields without #types after it');
  return sections;
}

/** Two sections can be read by one scan when they share schema and separators. */
export function sectionSignature(section: TsvSection): string {
  const h = section.header;
  return JSON.stringify([h.path, h.separator, h.setSeparator, h.emptyField, h.unsetField, h.fields, h.types]);
}
