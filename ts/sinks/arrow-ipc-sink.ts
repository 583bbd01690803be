import * as arrow from 'apache-arrow';
import { createWriteStream, WriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { LogSchema } from '../schema/log-schema';
import { arrowSchema } from '../schema/arrow-schema';
import { conformBatch } from '../arrow/conform';
import { LogWriter, Sink } from './sink';

export const ARROW_EXTENSION = 'arrows';

/** An Arrow IPC stream file per log path (`conn.arrows`), rotated as Zeek asks. */
export class ArrowIpcSink implements Sink {
  readonly kind = 'arrow';

  constructor(readonly dir: string) {}

  async openLog(schema: LogSchema, fileBase = schema.path): Promise<LogWriter> {
    await mkdir(this.dir, { recursive: true });
    const target = arrowSchema(schema);
    const path = join(this.dir, `${fileBase}.${ARROW_EXTENSION}`);
    let writer: arrow.RecordBatchStreamWriter;
    let out: WriteStream;
    const start = () => {
      writer = new arrow.RecordBatchStreamWriter();
      out = createWriteStream(path);
      writer.toNodeStream().pipe(out);
      writer.reset(undefined, target);
    };
    const end = async () => {
      writer.finish();
      writer.close();
      await finished(out);
    };
    start();
    return {
      write: async batch => { writer.write(conformBatch(batch, target)); },
      flush: async () => undefined,
      rotate: async (rotatedBase, terminating) => {
        await end();
        const rotated = `${rotatedBase}.${ARROW_EXTENSION}`;
        await rename(path, rotated);
        if (!terminating) start();
        return { previous: path, rotated };
      },
      close: end,
    };
  }

  async close(): Promise<void> {}
}
