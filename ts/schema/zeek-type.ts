// Zeek's loggable types, as they appear in a log's #types header (names from zeek-types.ts).
import { ZeekContainer, ZeekScalar, isContainerName, scalarEntry } from './zeek-types';

export { ZeekScalar };

export type ZeekType =
  | { kind: 'scalar'; name: ZeekScalar }
  | { kind: ZeekContainer; element: ZeekScalar };

/** Parses a #types entry such as `count`, `set[string]` or `vector[interval]`. */
export function parseZeekType(text: string): ZeekType {
  const container = /^(\w+)\[(.+)\]$/.exec(text);
  // Zeek logs a set as `set[...]`; `table[...]` is how some writers name the same.
  const kind = container && (container[1] === 'table' ? 'set' : container[1]);
  if (container && kind && isContainerName(kind)) {
    const element = container[2];
    if (!scalarEntry(element)) {
      throw new Error(`unsupported element type '${element}' in '${text}'`);
    }
    return { kind, element: element as ZeekScalar };
  }
  if (!scalarEntry(text)) throw new Error(`unsupported Zeek type '${text}'`);
  return { kind: 'scalar', name: text as ZeekScalar };
}

export function zeekTypeName(type: ZeekType): string {
  return type.kind === 'scalar' ? type.name : `${type.kind}[${type.element}]`;
}
