// Zeek's loggable types, as they appear in a log's #types header.

export const ZEEK_SCALARS = [
  'bool', 'int', 'count', 'double', 'time', 'interval',
  'string', 'enum', 'addr', 'subnet', 'port', 'file', 'func', 'pattern',
] as const;

export type ZeekScalar = (typeof ZEEK_SCALARS)[number];

export type ZeekType =
  | { kind: 'scalar'; name: ZeekScalar }
  | { kind: 'set' | 'vector'; element: ZeekScalar };

const scalarNames = new Set<string>(ZEEK_SCALARS);

/** Parses a #types entry such as `count`, `set[string]` or `vector[interval]`. */
export function parseZeekType(text: string): ZeekType {
  const container = /^(set|vector|table)\[(.+)\]$/.exec(text);
  if (container) {
    const element = container[2];
    if (!scalarNames.has(element)) {
      throw new Error(`unsupported element type '${element}' in '${text}'`);
    }
    const kind = container[1] === 'vector' ? 'vector' : 'set';
    return { kind, element: element as ZeekScalar };
  }
  if (!scalarNames.has(text)) throw new Error(`unsupported Zeek type '${text}'`);
  return { kind: 'scalar', name: text as ZeekScalar };
}

export function zeekTypeName(type: ZeekType): string {
  return type.kind === 'scalar' ? type.name : `${type.kind}[${type.element}]`;
}

export function isContainer(type: ZeekType): type is { kind: 'set' | 'vector'; element: ZeekScalar } {
  return type.kind !== 'scalar';
}

/** The scalar that a value (or each element of a container) has. */
export function scalarOf(type: ZeekType): ZeekScalar {
  return type.kind === 'scalar' ? type.name : type.element;
}
