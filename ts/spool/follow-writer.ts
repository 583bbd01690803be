// The writer analyze --follow gives its Zeek (LogArrow::sink=module): each log
// into an Arrow IPC stream file of its own, `<path>.arrows`, beside
// `<path>.schema.json` (its fields) and `<path>.flushes`, where each flush adds
// a line `<network time> <bytes of the .arrows file>`. A flush at a batch
// marker's time says that the log's rows before the marker end at that byte.
import * as arrow from 'apache-arrow';
import { appendFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WriterBackend, WriterInfo } from '../backend/writer-backend';
import { LogSchema } from '../schema/log-schema';
import { ArrowIpcSink } from '../sinks/arrow-ipc-sink';
import { LogWriter } from '../sinks/sink';

export const ARROWS = '.arrows';
export const SCHEMA = '.schema.json';
export const FLUSHES = '.flushes';

export class FollowWriter extends WriterBackend {
  private writer!: LogWriter;
  private base!: string;

  async init(info: WriterInfo, schema: LogSchema): Promise<void> {
    const dir = info.config.output_dir || '.';
    this.base = join(dir, info.path);
    await writeFile(this.base + SCHEMA, JSON.stringify(schema.toJSON()));
    this.writer = await new ArrowIpcSink(dir).openLog(schema, info.path);
  }

  async write(batch: arrow.RecordBatch): Promise<void> {
    await this.writer.write(batch);
  }

  async flush(networkTime: number): Promise<void> {
    await this.writer.flush();
    const { size } = await stat(this.base + ARROWS);
    await appendFile(this.base + FLUSHES, `${networkTime} ${size}\n`);
  }

  async finish(): Promise<void> {
    await this.writer.close();
  }
}

export const writer = FollowWriter;
