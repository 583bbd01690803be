import * as arrow from 'apache-arrow';
import { LogSchema } from '../schema/log-schema';

/** What Zeek tells a writer about its log (Zeek's WriterBackend::WriterInfo). */
export interface WriterInfo {
  /** The log path, e.g. `conn`. */
  path: string;
  /** The log filter's name. */
  filter: string;
  rotationInterval: number;
  rotationBase: number;
  networkTime: number;
  /** The LogArrow options, with the filter's `$config` entries over them. */
  config: Record<string, string>;
}

/** Where a rotated log went, for Zeek's post-processor. */
export interface Rotated {
  newName: string;
  oldName: string;
}

/**
 * A Zeek log writer in TypeScript. Its methods mirror Zeek's WriterBackend;
 * each may return a promise, and Zeek's writer thread waits for init, flush,
 * rotate and finish. An exception disables this writer (with a message in
 * reporter.log) and Zeek carries on.
 */
export abstract class WriterBackend {
  /** Called once, before any batch: the log's fields and Zeek types. */
  abstract init(info: WriterInfo, schema: LogSchema): Promise<void> | void;

  /**
   * One batch of records (Arrow types from ts/schema/mapping.ts). Its memory
   * is Zeek's and is taken back once write() has finished: copy what you keep.
   */
  abstract write(batch: arrow.RecordBatch): Promise<void> | void;

  setBuf(_enabled: boolean): Promise<void> | void {}

  flush(_networkTime: number): Promise<void> | void {}

  /**
   * Zeek rotates the log to `rotatedPath` (no extension). Return where the
   * file went, or undefined when there is no file (Zeek then runs no post-processor).
   */
  rotate(_rotatedPath: string, _open: number, _close: number, _terminating: boolean):
    Promise<Rotated | undefined> | Rotated | undefined {
    return undefined;
  }

  finish(_networkTime: number): Promise<void> | void {}

  heartbeat(_networkTime: number, _currentTime: number): Promise<void> | void {}
}
