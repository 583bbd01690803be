import * as arrow from 'apache-arrow';
import { ReaderBackend, ReaderField, ReaderInfo, ReaderMode } from '../backend/reader-backend';
import { RowSource } from './sources';
import { layoutRows } from './layout-rows';

/**
 * The built-in reader: a DuckDB query, a Parquet file or an Arrow IPC file.
 * REREAD reads it all again when it changed; STREAM delivers the rows past
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

  async update(): Promise<arrow.RecordBatch[]> {
    this.seen = await this.source.version();
    const offset = this.mode === 'stream' ? this.delivered : 0;
    const batches = await this.source.withRelation((db, relation) => layoutRows(db, relation, this.fields, offset));
    if (this.mode === 'stream') this.delivered += batches.reduce((n, b) => n + b.numRows, 0);
    return batches;
  }

  async heartbeat(): Promise<arrow.RecordBatch[] | undefined> {
    if (this.mode === 'manual' || (await this.source.version()) === this.seen) return undefined;
    return this.update();
  }

  close(): void {
    this.source.close();
  }
}
