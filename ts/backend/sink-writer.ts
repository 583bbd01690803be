import * as arrow from 'apache-arrow';
import { isAbsolute, join } from 'node:path';
import { LogSchema } from '../schema/log-schema';
import { LogWriter, Sink, SinkKind, openSink } from '../sinks';
import { Rotated, WriterBackend, WriterInfo } from './writer-backend';

/** Sinks shared by the writers of one process: one DuckDB file, one output directory. */
export class SinkPool {
  private sinks = new Map<string, Promise<Sink>>();

  get(kind: SinkKind, location: string): Promise<Sink> {
    const key = `${kind}:${location}`;
    let sink = this.sinks.get(key);
    if (!sink) {
      sink = openSink(kind, location);
      this.sinks.set(key, sink);
    }
    return sink;
  }

  async closeAll(): Promise<void> {
    const sinks = [...this.sinks.values()];
    this.sinks.clear();
    for (const sink of sinks) await (await sink).close();
  }
}

/** A built-in writer: a log into one of the sinks (DuckDB tables, Parquet or Arrow IPC files). */
export class SinkWriter extends WriterBackend {
  private writer?: LogWriter;
  private dir = '.';

  constructor(private kind: SinkKind, private pool: SinkPool) {
    super();
  }

  async init(info: WriterInfo, schema: LogSchema): Promise<void> {
    this.dir = info.config.output_dir || '.';
    const location = this.kind === 'duckdb' ? info.config.db_path || 'logs.duckdb' : this.dir;
    const sink = await this.pool.get(this.kind, location);
    this.writer = await sink.openLog(schema, info.path);
  }

  async write(batch: arrow.RecordBatch): Promise<void> {
    await this.writer!.write(batch);
  }

  async flush(): Promise<void> {
    await this.writer!.flush();
  }

  async rotate(rotatedPath: string, _open: number, _close: number, terminating: boolean): Promise<Rotated | undefined> {
    const base = isAbsolute(rotatedPath) ? rotatedPath : join(this.dir, rotatedPath);
    const current = await this.writer!.rotate(base, terminating);
    return current ? { newName: current.rotated, oldName: current.previous } : undefined;
  }

  async finish(): Promise<void> {
    await this.writer!.close();
  }
}
