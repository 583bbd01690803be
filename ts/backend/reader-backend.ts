import * as arrow from 'apache-arrow';
import { ZeekType } from '../schema/zeek-type';

/**
 * Rows for Zeek: an array of batches, or an (async) iterable that gives them as
 * they are produced (the plugin takes them a piece at a time, so a large source
 * never waits whole in memory).
 */
export type ReaderRows = arrow.RecordBatch[] | Iterable<arrow.RecordBatch> | AsyncIterable<arrow.RecordBatch>;

/** Zeek's input modes: read once (and on Input::force_update), re-read on change, or follow what is added. */
export type ReaderMode = 'manual' | 'reread' | 'stream';

/** What Zeek tells a reader about its input stream (Zeek's ReaderBackend::ReaderInfo). */
export interface ReaderInfo {
  /** The stream's `$source`: SQL, or a file's path. */
  source: string;
  /** The stream's name. */
  name: string;
  mode: ReaderMode;
  /** The InputArrow options, with the stream's `$config` entries over them. */
  config: Record<string, string>;
}

/** A field the stream wants, in order: a table's index fields then its value fields, or an event's arguments. */
export interface ReaderField {
  /** The field's name; fields of a record inside the record are `outer.inner`. */
  name: string;
  type: ZeekType;
  /** For a port: the column holding its protocol (`&type_column`). */
  protoColumn?: string;
  /** Whether the field is &optional (NULL leaves it unset; otherwise a NULL skips the row with a warning). */
  optional: boolean;
}

/**
 * A Zeek input reader in TypeScript. Its methods mirror Zeek's ReaderBackend.
 * Rows are Arrow record batches with a column per field, named like it, of
 * any Arrow type that can become the field's Zeek type (see ts/input/reader-layout.ts).
 * An exception disables the stream with a message in reporter.log; Zeek carries on.
 */
export abstract class ReaderBackend {
  /** Called once, before any read. */
  abstract init(info: ReaderInfo, fields: ReaderField[]): Promise<void> | void;

  /**
   * The rows to deliver now: at the start and on Input::force_update. In MANUAL
   * and REREAD mode they are the whole source (rows not sent again leave Zeek's
   * table); in STREAM mode, the rows not delivered before.
   */
  abstract update(): Promise<ReaderRows> | ReaderRows;

  /**
   * About once a second (InputArrow::check_interval) in REREAD and STREAM mode:
   * the rows to deliver when the source has changed, or undefined.
   */
  heartbeat(_networkTime: number, _currentTime: number):
    Promise<ReaderRows | undefined> | ReaderRows | undefined {
    return undefined;
  }

  close(): Promise<void> | void {}
}
