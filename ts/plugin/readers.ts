// The input readers of the plugin host: Zeek's reader threads ask, and each
// waits for the answer, so a reader's work never overlaps itself.
import * as arrow from 'apache-arrow';
import { ArrayDescription, arrayDescription } from '../arrow/c-data';
import { ReaderBackend, ReaderField, ReaderInfo, ReaderRows } from '../backend/reader-backend';
import { createReader } from './registry';
import { parseZeekType } from '../schema/zeek-type';
import { toLayout } from '../input/layout-rows';
import { checkBatch } from '../arrow/check-data';

export type ReaderWork =
  | { kind: 'reader-init'; reader: number; info: ReaderInfo; fields: { name: string; type: string; protoColumn?: string; optional: boolean }[] }
  | { kind: 'reader-update' | 'reader-next' | 'reader-close'; reader: number }
  | { kind: 'reader-abandon'; reader: number; reason: string }
  | { kind: 'reader-heartbeat'; reader: number; networkTime: number; currentTime: number };

/**
 * What the plugin reads back: rows in the reader layout, or none (nothing changed);
 * `more` when the delivery goes on (the plugin asks with reader-next).
 */
interface RowsReply {
  rows?: ArrayDescription[];
  more?: boolean;
}

/** Rows handed to Zeek at a time: a bounded piece in each process, whatever the source's size. */
const PIECE_ROWS = 65536;

interface Piece {
  batches: arrow.RecordBatch[];
  more: boolean;
}

interface ReaderState {
  backend: ReaderBackend;
  fields: ReaderField[];
  userModule: boolean;
  /** The delivery under way, and its next piece, read while Zeek's thread converts the one before. */
  rows?: AsyncIterator<arrow.RecordBatch>;
  next?: Promise<Piece>;
  batchNumber: number;
}

function iteratorOf(rows: ReaderRows): AsyncIterator<arrow.RecordBatch> {
  if (Symbol.asyncIterator in rows) return (rows as AsyncIterable<arrow.RecordBatch>)[Symbol.asyncIterator]();
  const sync = (rows as Iterable<arrow.RecordBatch>)[Symbol.iterator]();
  return {
    next: async () => sync.next(),
    return: async () => sync.return?.() ?? { done: true, value: undefined },
  };
}

async function take(rows: AsyncIterator<arrow.RecordBatch>): Promise<Piece> {
  const batches: arrow.RecordBatch[] = [];
  for (let n = 0; n < PIECE_ROWS;) {
    const r = await rows.next();
    if (r.done) return { batches, more: false };
    batches.push(r.value);
    n += r.value.numRows;
  }
  return { batches, more: true };
}

export class Readers {
  private readers = new Map<number, ReaderState>();

  async handle(work: ReaderWork): Promise<RowsReply | null> {
    if (work.kind === 'reader-init') {
      const fields = work.fields.map(f => ({ name: f.name, type: parseZeekType(f.type), protoColumn: f.protoColumn, optional: f.optional }));
      const backend = createReader(work.info);
      const state: ReaderState = { backend, fields, userModule: Boolean(work.info.config.reader_module), batchNumber: 0 };
      this.readers.set(work.reader, state);
      await backend.init(work.info, fields);
      return this.start(state, await backend.update());
    }
    if (work.kind === 'reader-abandon') {
      // Zeek gave up waiting for it: it is not called again, not even to close (it may never return).
      this.readers.delete(work.reader);
      return null;
    }
    const state = this.readers.get(work.reader);
    if (!state) throw new Error(`no reader ${work.reader} (it failed to start, or was given up on)`);
    switch (work.kind) {
      case 'reader-update': return this.start(state, await state.backend.update());
      case 'reader-heartbeat': return this.start(state, await state.backend.heartbeat(work.networkTime, work.currentTime));
      case 'reader-next': return this.piece(state);
      case 'reader-close':
        this.readers.delete(work.reader);
        await this.stop(state);
        await state.backend.close();
        return null;
    }
  }

  /** A new delivery: its first piece. */
  private async start(state: ReaderState, rows: ReaderRows | undefined): Promise<RowsReply> {
    await this.stop(state); // one Zeek left unfinished (it failed on a row)
    if (!rows) return {};
    state.rows = iteratorOf(rows);
    state.batchNumber = 0;
    return this.piece(state);
  }

  /** Ends the delivery under way, so that its source is released. */
  private async stop(state: ReaderState): Promise<void> {
    const { rows, next } = state;
    state.rows = undefined;
    state.next = undefined;
    if (!rows) return;
    await next?.catch(() => undefined);
    await rows.return?.();
  }

  private async piece(state: ReaderState): Promise<RowsReply> {
    if (!state.rows) return { rows: [] };
    const rows = state.rows;
    const next = state.next ?? take(rows);
    state.next = undefined;
    let piece: Piece;
    try {
      piece = await next;
    } catch (e) {
      state.rows = undefined;
      throw e;
    }
    if (piece.more) {
      // The built-in reader's next piece is read now; a module's waits for reader-next, so that its code
      // runs inside the plugin's call, where a busy loop is caught and blamed on it.
      if (!state.userModule) {
        state.next = take(rows);
        state.next.catch(() => undefined); // awaited by the next reader-next, or by stop()
      }
    } else {
      state.rows = undefined;
    }
    const { fields, userModule } = state;
    // Checked before DuckDB or the plugin reads them: a reader module's buffers may not match its lengths.
    if (userModule) piece.batches.forEach(batch => checkBatch(batch, `the reader module's batch ${++state.batchNumber}`));
    const converted = piece.batches.length === 0 ? [] : await toLayout(piece.batches, fields);
    return { rows: converted.filter(b => b.numRows > 0).map(arrayDescription), more: piece.more };
  }

  async closeAll(): Promise<void> {
    for (const [id, state] of this.readers) {
      this.readers.delete(id);
      await this.stop(state).catch(() => undefined);
      await Promise.resolve(state.backend.close()).catch(() => undefined);
    }
  }
}
