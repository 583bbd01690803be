// The TypeScript host of the Zeek plugin: loaded by the embedded Node runtime
// (plugin/zeek/src/NodeRuntime.cc), it receives work from Zeek's writer
// threads and runs the writer backends. Compiled JS only; Node 18 here.
import './arrow-bundle';
import * as arrow from 'apache-arrow';
import { ArrayDescription, SchemaDescription, batchFromDescription, formatOf, schemaDescription } from '../arrow/c-data';
import { Column, LogSchema } from '../schema/log-schema';
import { arrowSchema } from '../schema/arrow-schema';
import { TypeRow, typeTableRows } from '../schema/zeek-types';
import { SinkPool } from '../backend/sink-writer';
import { createWriter } from './registry';
import { WriterBackend, WriterInfo } from '../backend/writer-backend';
import { ReaderWork, Readers } from './readers';
import { resolvePackageNameToHost } from './package-name';

interface Binding {
  /** Also checks the plugin's C++ against the table of Zeek types; throws naming a type they disagree on. */
  start(dispatch: (work: Work, done: (error: string | null, result?: unknown) => void) => void, types: TypeRow[]): void;
  failed(message: string): void;
}

type Work =
  | { kind: 'writer-init'; writer: number; info: WriterInfo; fields: { name: string; type: string }[] }
  | { kind: 'writer-write'; writer: number; batch: ArrayDescription }
  | { kind: 'writer-setbuf'; writer: number; enabled: boolean }
  | { kind: 'writer-flush' | 'writer-finish'; writer: number; networkTime: number }
  | { kind: 'writer-rotate'; writer: number; rotatedPath: string; open: number; close: number; terminating: boolean }
  | { kind: 'writer-heartbeat'; writer: number; networkTime: number; currentTime: number }
  | { kind: 'writer-abandon'; writer: number; reason: string }
  | ReaderWork
  | { kind: 'shutdown' };

interface WriterState {
  backend: WriterBackend;
  /** Set once the writer has thrown: it gets no more records, only finish(). */
  failed?: string;
  /** Set when Zeek gave up waiting for it: its work is refused, and shutdown does not wait for it. */
  abandoned?: boolean;
  /** Its work not yet answered; with none, new work starts at once (within the plugin's call, where its time is watched). */
  running: number;
  schema: arrow.Schema;
  description: SchemaDescription;
  /** The writer's work runs in order: each piece after the one before. */
  queue: Promise<unknown>;
}

/** The field index of each column, in the order the plugin walks them. */
function leafOrder(columns: Column[]): number[] {
  return columns.flatMap(c => 'field' in c ? [c.fieldIndex] : leafOrder(c.children));
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? ` (${e.stack.split('\n')[1]?.trim() ?? ''})` : ''}`;
  return String(e);
}

export function start(binding: Binding): void {
  resolvePackageNameToHost();
  // Zeek's process is not ours to end: report what escapes and carry on.
  process.on('uncaughtException', e => process.stderr.write(`zeek-arrow: uncaught ${describeError(e)}\n`));
  process.on('unhandledRejection', e => process.stderr.write(`zeek-arrow: unhandled ${describeError(e)}\n`));

  const pool = new SinkPool();
  const writers = new Map<number, WriterState>();
  const readers = new Readers();

  const handle = async (work: Work): Promise<unknown> => {
    if ('reader' in work) return readers.handle(work);
    switch (work.kind) {
      case 'writer-init': {
        const { info, fields } = work;
        const schema = LogSchema.fromHeader(info.path, fields.map(f => f.name), fields.map(f => f.type));
        const backend = createWriter(info.config, pool);
        const target = arrowSchema(schema);
        const ready = (async () => backend.init(info, schema))(); // runs now, inside the plugin's call (watched)
        // Shutdown waits for an init still running (a writer Zeek started at exit) before it closes the sinks.
        const queue = ready.catch(() => undefined);
        const state: WriterState = { backend, schema: target, description: schemaDescription(target), queue, running: 0 };
        writers.set(work.writer, state);
        await ready;
        return {
          schema: state.description,
          leaves: leafOrder(schema.columns),
          batchRows: Number(info.config.batch_size) || 10000,
          maxPending: Number(info.config.max_pending_batches) || 4,
        };
      }
      case 'writer-write': {
        const state = writers.get(work.writer)!;
        if (state.failed) throw new Error(state.failed);
        try {
          return await state.backend.write(batchFromDescription(state.description, work.batch, state.schema));
        } catch (e) {
          state.failed = describeError(e);
          throw e;
        }
      }
      case 'writer-setbuf': return writers.get(work.writer)!.backend.setBuf(work.enabled);
      case 'writer-flush': return writers.get(work.writer)!.backend.flush(work.networkTime);
      case 'writer-heartbeat': return writers.get(work.writer)!.backend.heartbeat(work.networkTime, work.currentTime);
      case 'writer-rotate':
        return (await writers.get(work.writer)!.backend.rotate(work.rotatedPath, work.open, work.close, work.terminating)) ?? null;
      case 'writer-finish': {
        const state = writers.get(work.writer)!;
        writers.delete(work.writer);
        return state.backend.finish(work.networkTime);
      }
      case 'writer-abandon': {
        const state = writers.get(work.writer);
        if (state) {
          state.abandoned = true;
          state.failed ??= work.reason;
        }
        return null;
      }
      case 'shutdown': {
        const live = [...writers.entries()].filter(([, w]) => !w.abandoned);
        await Promise.allSettled(live.map(([, w]) => w.queue));
        // Zeek does not finish a writer it disabled: let it release what it holds before the sinks close.
        // One Zeek gave up on is not called again: it may never return.
        for (const [id, state] of live) {
          writers.delete(id);
          await Promise.resolve(state.backend.finish(0)).catch(() => undefined);
        }
        await pool.closeAll();
        await readers.closeAll();
        return null;
      }
    }
  };

  binding.start((work, done) => {
    const state = 'writer' in work ? writers.get(work.writer) : undefined;
    if (state?.abandoned && work.kind !== 'writer-abandon') {
      done(`the writer was given up on: ${state.failed}`);
      return;
    }
    const run = () => handle(work).then(result => done(null, result ?? null), e => done(describeError(e)));
    if (!state || work.kind === 'writer-abandon') {
      void run();
      return;
    }
    // A writer's work runs in order. Started here, a user's write() runs inside the plugin's call, where
    // the plugin can stop a busy loop; chained, it runs later, in a promise's continuation.
    const counted = () => run().finally(() => { state.running--; });
    state.running++;
    state.queue = state.running === 1 ? counted() : state.queue.then(counted);
  }, typeTableRows(formatOf));
}
