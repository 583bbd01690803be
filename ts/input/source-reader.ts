import * as arrow from 'apache-arrow';
import { ReaderBackend, ReaderField, ReaderInfo, ReaderMode, ReaderRows } from '../backend/reader-backend';
import { RowSource } from './sources';
import { layoutRows } from './layout-rows';

/**
 * The built-in reader: a DuckDB query, a Parquet file or an Arrow IPC file.
 * Rows go to Zeek as DuckDB produces them. REREAD reads it all again when it
 * changed; STREAM delivers only what is new: an Arrow IPC stream file's batches
 * appended since the last read (only those bytes are read), else the rows past
 * those delivered before (the source's order must be stable: a table or file
 * scan keeps it, a query may need ORDER BY).
 */
export class SourceReader extends ReaderBackend {
  private fields: ReaderField[] = [];
  private mode: ReaderMode = 'manual';
  private seen = '';
  private delivered = 0;

  constructor(private source: RowSource) {
    super();
  }

  init(info: ReaderInfo, fields: ReaderField[]): void {
    this.mode = info.mode;
    this.fields = fields;
  }

  update(): ReaderRows {
    return this.read();
  }

  private async *read(): AsyncGenerator<arrow.RecordBatch> {
    this.seen = await this.source.version();
    const offset = this.mode === 'stream' && !this.source.appendedOnly ? this.delivered : 0;
    const opened = await this.source.open();
    try {
      for (const batch of await layoutRows(opened.db, opened.relation, this.fields, offset)) {
        if (this.mode === 'stream') this.delivered += batch.numRows;
        yield batch;
      }
    } finally {
      await opened.release();
    }
  }

  async heartbeat(): Promise<ReaderRows | undefined> {
    if (this.mode === 'manual' || (await this.source.version()) === this.seen) return undefined;
    return this.update();
  }

  close(): void {
    this.source.close();
  }
}
