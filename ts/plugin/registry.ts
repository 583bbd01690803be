// Which writer or reader a log or stream gets: the built-in sinks and source reader, or a user's module.
import { resolve } from 'node:path';
import { SinkKind } from '../sinks';
import { SinkPool, SinkWriter } from '../backend/sink-writer';
import { WriterBackend } from '../backend/writer-backend';
import { ReaderBackend, ReaderInfo } from '../backend/reader-backend';
import { SourceReader } from '../input/source-reader';
import { sourceFor } from '../input/sources';

type WriterFactory = (pool: SinkPool) => WriterBackend;

/** Writers by the name of LogArrow::sink (or a filter's $config["sink"]). */
const writers = new Map<string, WriterFactory>(
  (['duckdb', 'parquet', 'arrow'] as SinkKind[]).map(kind => [kind, pool => new SinkWriter(kind, pool)]));

/** A user's class: a module whose export `name` (or default export) is a subclass of our backend. */
function loadModuleClass<T>(path: string, name: 'writer' | 'reader'): new () => T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(path.startsWith('.') ? resolve(path) : path) as Record<string, unknown>;
  const candidate = loaded[name] ?? loaded.default ?? loaded;
  if (typeof candidate !== 'function') throw new Error(`${path} exports no ${name} class (export '${name}' or a default)`);
  return candidate as new () => T;
}

/** The writer a log's options ask for. */
export function createWriter(config: Record<string, string>, pool: SinkPool): WriterBackend {
  const sink = config.sink || 'duckdb';
  if (sink === 'module') {
    if (!config.writer_module) throw new Error("sink 'module' needs LogArrow::writer_module (or $config[\"writer_module\"])");
    return new (loadModuleClass<WriterBackend>(config.writer_module, 'writer'))();
  }
  const factory = writers.get(sink);
  if (!factory) throw new Error(`unknown sink '${sink}' (known: ${[...writers.keys(), 'module'].join(', ')})`);
  return factory(pool);
}

/** The reader a stream asks for: the user's module (InputArrow::reader_module), else the built-in one for its source. */
export function createReader(info: ReaderInfo): ReaderBackend {
  if (info.config.reader_module) return new (loadModuleClass<ReaderBackend>(info.config.reader_module, 'reader'))();
  return new SourceReader(sourceFor(info.source, info.config, info.mode === 'stream'));
}
