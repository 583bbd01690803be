// The input readers of the plugin host: Zeek's reader threads ask, and each
// waits for the answer, so a reader's work never overlaps itself.
import * as arrow from 'apache-arrow';
import { ArrayDescription, arrayDescription } from '../arrow/c-data';
import { ReaderBackend, ReaderField, ReaderInfo } from '../backend/reader-backend';
import { createReader } from '../backend/registry';
import { parseZeekType } from '../schema/zeek-type';
import { toLayout } from '../input/layout-rows';
import { checkBatch } from '../arrow/check-data';

export type ReaderWork =
  | { kind: 'reader-init'; reader: number; info: ReaderInfo; fields: { name: string; type: string; protoColumn?: string; optional: boolean }[] }
  | { kind: 'reader-update' | 'reader-close'; reader: number }
  | { kind: 'reader-abandon'; reader: number; reason: string }
  | { kind: 'reader-heartbeat'; reader: number; networkTime: number; currentTime: number };

/** What the plugin reads back: rows in the reader layout, or none (nothing changed). */
interface RowsReply {
  rows?: ArrayDescription[];
}

export class Readers {
  private readers = new Map<number, { backend: ReaderBackend; fields: ReaderField[]; userModule: boolean }>();

  async handle(work: ReaderWork): Promise<RowsReply | null> {
    if (work.kind === 'reader-init') {
      const fields = work.fields.map(f => ({ name: f.name, type: parseZeekType(f.type), protoColumn: f.protoColumn, optional: f.optional }));
      const backend = createReader(work.info);
      this.readers.set(work.reader, { backend, fields, userModule: Boolean(work.info.config.reader_module) });
      await backend.init(work.info, fields);
      return this.reply(work.reader, await backend.update());
    }
    if (work.kind === 'reader-abandon') {
      // Zeek gave up waiting for it: it is not called again, not even to close (it may never return).
      this.readers.delete(work.reader);
      return null;
    }
    const state = this.readers.get(work.reader);
    if (!state) throw new Error(`no reader ${work.reader} (it failed to start, or was given up on)`);
    switch (work.kind) {
      case 'reader-update': return this.reply(work.reader, await state.backend.update());
      case 'reader-heartbeat': return this.reply(work.reader, await state.backend.heartbeat(work.networkTime, work.currentTime));
      case 'reader-close':
        this.readers.delete(work.reader);
        await state.backend.close();
        return null;
    }
  }

  private async reply(reader: number, batches: arrow.RecordBatch[] | undefined): Promise<RowsReply> {
    if (!batches) return {};
    const { fields, userModule } = this.readers.get(reader)!;
    // Checked before DuckDB or the plugin reads them: a reader module's buffers may not match its lengths.
    if (userModule) batches.forEach((batch, i) => checkBatch(batch, `the reader module's batch ${i + 1}`));
    const rows = batches.length === 0 ? [] : await toLayout(batches, fields);
    return { rows: rows.filter(b => b.numRows > 0).map(arrayDescription) };
  }

  async closeAll(): Promise<void> {
    for (const [id, state] of this.readers) {
      this.readers.delete(id);
      await Promise.resolve(state.backend.close()).catch(() => undefined);
    }
  }
}
