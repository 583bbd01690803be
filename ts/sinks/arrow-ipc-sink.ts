import * as arrow from 'apache-arrow';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { LogSchema } from '../schema/log-schema';
import { arrowSchema } from '../schema/arrow-schema';
import { conformBatch } from '../arrow/conform';
import { LogWriter, Sink } from './sink';
import { rotatingWriter } from './file-rotation';

const ARROW_EXTENSION = 'arrows';

// An IPC stream is a schema message, record batch messages, and an end marker.
const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Bytes of the schema message that starts a stream: continuation, metadata length, metadata. */
function schemaMessageLength(bytes: Uint8Array): number {
  return 8 + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(4, true);
}

/**
 * A batch as IPC stream bytes of our own: serialized before write() returns,
 * because the batch's memory goes back to Zeek then (apache-arrow's stream
 * writer would read it later).
 */
function serialize(batch: arrow.RecordBatch): Uint8Array {
  const bytes = arrow.tableToIPC(new arrow.Table([batch]), 'stream');
  return bytes.subarray(schemaMessageLength(bytes), bytes.length - END_OF_STREAM.length);
}

/** An Arrow IPC stream file per log path (`conn.arrows`), rotated as Zeek asks. */
export class ArrowIpcSink implements Sink {
  readonly kind = 'arrow';

  constructor(readonly dir: string) {}

  async openLog(schema: LogSchema, fileBase = schema.path): Promise<LogWriter> {
    await mkdir(this.dir, { recursive: true });
    const target = arrowSchema(schema);
    const path = join(this.dir, `${fileBase}.${ARROW_EXTENSION}`);
    return rotatingWriter(path, ARROW_EXTENSION, async () => {
      const file = await open(path, 'w');
      const schemaOnly = arrow.tableToIPC(new arrow.Table(target), 'stream');
      await file.write(schemaOnly.subarray(0, schemaMessageLength(schemaOnly)));
      return {
        write: async batch => { await file.write(serialize(conformBatch(batch, target))); },
        flush: async () => { await file.sync(); },
        end: async () => {
          await file.write(END_OF_STREAM);
          await file.close();
        },
      };
    });
  }

  async close(): Promise<void> {}
}
