import { ZeekType, parseZeekType, zeekTypeName } from './zeek-type';

/** One column as Zeek writes it: a dotted name (`id.orig_h`) and its type. */
export interface LogField {
  name: string;
  type: ZeekType;
}

/** A leaf column, or a record whose dotted fields Zeek flattened (`id` of `id.orig_h`). */
export type Column =
  | { name: string; field: LogField; fieldIndex: number }
  | { name: string; children: Column[] };

/** The fields of one log path, e.g. `conn`, in the order Zeek writes them. */
export class LogSchema {
  readonly columns: Column[];

  constructor(readonly path: string, readonly fields: LogField[]) {
    this.columns = nestFields(fields);
  }

  static fromHeader(path: string, names: string[], types: string[]): LogSchema {
    if (names.length !== types.length) {
      throw new Error(`#fields has ${names.length} names but #types has ${types.length} types`);
    }
    return new LogSchema(path, names.map((name, i) => ({ name, type: parseZeekType(types[i]) })));
  }

  static fromJSON(value: { path: string; fields: { name: string; type: string }[] }): LogSchema {
    return LogSchema.fromHeader(value.path, value.fields.map(f => f.name), value.fields.map(f => f.type));
  }

  toJSON(): { path: string; fields: { name: string; type: string }[] } {
    return { path: this.path, fields: this.fields.map(f => ({ name: f.name, type: zeekTypeName(f.type) })) };
  }

  fieldNames(): string[] {
    return this.fields.map(f => f.name);
  }

  typeNames(): string[] {
    return this.fields.map(f => zeekTypeName(f.type));
  }

  sameFieldsAs(other: LogSchema): boolean {
    return this.fields.length === other.fields.length &&
      this.fields.every((f, i) => f.name === other.fields[i].name &&
        zeekTypeName(f.type) === zeekTypeName(other.fields[i].type));
  }

  /**
   * The union of two schemas of one log path (a newer Zeek adds fields): this
   * schema's fields in order, then the other's new ones. A field whose type
   * differs is an error naming it.
   */
  merge(other: LogSchema): LogSchema {
    const known = new Map(this.fields.map(f => [f.name, f]));
    const added: LogField[] = [];
    for (const f of other.fields) {
      const mine = known.get(f.name);
      if (!mine) added.push(f);
      else if (zeekTypeName(mine.type) !== zeekTypeName(f.type)) {
        throw new Error(`field '${f.name}' of log '${this.path}' is ${zeekTypeName(mine.type)} ` +
          `in the table but ${zeekTypeName(f.type)} in this log`);
      }
    }
    return added.length ? new LogSchema(this.path, [...this.fields, ...added]) : this;
  }
}

/** Groups dotted names into nested records, keeping first-appearance order. */
function nestFields(fields: LogField[]): Column[] {
  type Node = { name: string; field?: LogField; fieldIndex?: number; children?: Node[] };
  const root: Node = { name: '', children: [] };
  fields.forEach((field, fieldIndex) => {
    const parts = field.name.split('.');
    let node = root;
    parts.forEach((part, depth) => {
      const last = depth === parts.length - 1;
      let child = node.children!.find(c => c.name === part);
      if (last) {
        if (child) throw new Error(`field '${field.name}' appears twice or is also a record`);
        node.children!.push({ name: part, field, fieldIndex });
        return;
      }
      if (!child) {
        child = { name: part, children: [] };
        node.children!.push(child);
      } else if (!child.children) {
        throw new Error(`field '${parts.slice(0, depth + 1).join('.')}' is both a value and a record`);
      }
      node = child;
    });
  });
  const freeze = (n: Node): Column => n.children
    ? { name: n.name, children: n.children.map(freeze) }
    : { name: n.name, field: n.field!, fieldIndex: n.fieldIndex! };
  return root.children!.map(freeze);
}

/** The table a log path is stored in: `conn`, `dns`, `files_pe` for `files-pe`. */
export function tableNameFor(logPath: string): string {
  const name = logPath.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}
