import { resolve } from 'node:path';
import { SinkKind } from '../sinks';
import { SinkPool, SinkWriter } from './sink-writer';
import { WriterBackend } from './writer-backend';

type WriterFactory = (pool: SinkPool) => WriterBackend;

/** Writers by the name of LogArrow::sink (or a filter's $config["sink"]). */
const writers = new Map<string, WriterFactory>(
  (['duckdb', 'parquet', 'arrow'] as SinkKind[]).map(kind => [kind, pool => new SinkWriter(kind, pool)]));

/** Makes a writer available under a name (to name in LogArrow::sink). */
export function registerWriter(name: string, factory: WriterFactory): void {
  writers.set(name, factory);
}

type WriterClass = new () => WriterBackend;

/** A user's writer: a module whose `writer` export (or default export) is a WriterBackend subclass. */
function loadWriterModule(path: string): WriterClass {
  if (!path) throw new Error("sink 'module' needs LogArrow::writer_module (or $config[\"writer_module\"])");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(path.startsWith('.') ? resolve(path) : path) as Record<string, unknown>;
  const candidate = loaded.writer ?? loaded.default ?? loaded;
  if (typeof candidate !== 'function') throw new Error(`${path} exports no writer class (export 'writer' or a default)`);
  return candidate as WriterClass;
}

/** The writer a log's options ask for. */
export function createWriter(config: Record<string, string>, pool: SinkPool): WriterBackend {
  const sink = config.sink || 'duckdb';
  if (sink === 'module') return new (loadWriterModule(config.writer_module))();
  const factory = writers.get(sink);
  if (!factory) throw new Error(`unknown sink '${sink}' (known: ${[...writers.keys(), 'module'].join(', ')})`);
  return factory(pool);
}
