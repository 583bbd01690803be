import { Database } from '../duckdb/database';
import { LogField, LogSchema } from '../schema/log-schema';
import { ZeekScalar, ZeekType, parseZeekType } from '../schema/zeek-type';
import { SCALARS, literal } from '../schema/mapping';
import knownLogsJson from '../schema/known-logs.json';

// JSON logs carry no types. A field's Zeek type comes, in this order, from the
// table already in the database, a TSV log of the same path, the catalog of
// Zeek's standard logs (known-logs.json, written by scripts/gen-log-catalog.sh
// with Zeek 8.0.10), and only then from the JSON values themselves.

type Fields = Record<string, { name: string; type: string }[]>;
const catalog = knownLogsJson as { zeek: string; logs: Fields; extraFields: Fields };

/** A standard log's fields as Zeek 8.0 writes them with its default scripts (and Community ID). */
export function catalogSchema(logPath: string): LogSchema | undefined {
  const fields = catalog.logs[logPath];
  return fields ? LogSchema.fromJSON({ path: logPath, fields }) : undefined;
}

/** Fields Zeek's `local` scripts add to a standard log. */
function catalogExtraFields(logPath: string): LogSchema | undefined {
  const fields = catalog.extraFields[logPath];
  return fields ? LogSchema.fromJSON({ path: logPath, fields }) : undefined;
}

/** A Zeek type for a JSON structure as DuckDB's json_group_structure describes it. */
function guessType(structure: unknown): ZeekType {
  if (Array.isArray(structure)) {
    const element = guessType(structure[0]);
    return parseZeekType(`vector[${element.kind === 'scalar' ? element.name : 'string'}]`);
  }
  // The first type of the table JSON reads as that DuckDB type (bool, int, count, double); anything else is text.
  const name = Object.keys(SCALARS).find(n => SCALARS[n as ZeekScalar].jsonRead === structure) ?? 'string';
  return parseZeekType(name);
}

export interface JsonLogShape {
  /** The log's path: `_path` in the records, else the file name up to its first dot. */
  path: string;
  /** The `_path` its records carry (null: none, the path is the file's name). */
  recordPath: string | null;
  keys: string[];
  structure: Record<string, unknown>;
}

/** The keys of a JSON log and their JSON types, for each `_path` its records carry, from one scan by DuckDB. */
export async function jsonLogShapes(db: Database, file: string, gzip: boolean, fallbackPath: string): Promise<JsonLogShape[]> {
  const rows = await db.all(`SELECT json_group_structure(json) AS s, json->>'_path' AS p
    FROM read_json_objects(${literal(file)}, format='newline_delimited', ignore_errors=true,
      maximum_object_size=16777216, compression=${gzip ? "'gzip'" : "'uncompressed'"})
    GROUP BY p ORDER BY p NULLS FIRST`);
  return rows.filter(r => r.s).map(r => {
    const structure = JSON.parse(String(r.s)) as Record<string, unknown>;
    const recordPath = r.p === null ? null : String(r.p);
    return { path: recordPath ?? fallbackPath, recordPath, keys: Object.keys(structure).filter(k => k !== '_path'), structure };
  });
}

/**
 * The schema of a JSON log. JSON leaves out unset fields, so a known log has
 * all the columns of its known schema (the table's, a TSV log's of this run,
 * or the catalog's); keys beyond it take the catalog's types of `local`'s
 * fields, and only then types guessed from their values (`guessed`).
 */
export function jsonLogSchema(shape: JsonLogShape, known: LogSchema | undefined): { schema: LogSchema; guessed: string[] } {
  const base = known ?? catalogSchema(shape.path);
  const fields: LogField[] = [...base?.fields ?? []];
  const have = new Set(fields.map(f => f.name));
  const extra = new Map((catalogExtraFields(shape.path)?.fields ?? []).map(f => [f.name, f]));
  const guessed: string[] = [];
  for (const key of shape.keys.filter(k => !have.has(k))) {
    const field = extra.get(key);
    if (!field) guessed.push(key);
    fields.push(field ?? { name: key, type: guessType(shape.structure[key]) });
  }
  return { schema: new LogSchema(shape.path, fields), guessed };
}
