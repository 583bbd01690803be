// zeek-arrow's public TypeScript API: what a user's writer module needs, and the
// pieces the command line is made of.
export { WriterBackend, WriterInfo, Rotated } from './backend/writer-backend';
export { ReaderBackend, ReaderInfo, ReaderField, ReaderMode, ReaderRows } from './backend/reader-backend';
export { LogSchema, LogField, Column } from './schema/log-schema';
export { ZeekType, parseZeekType, zeekTypeName } from './schema/zeek-type';
export { arrowSchema } from './schema/arrow-schema';
export { Sink, LogWriter, DuckDBSink, ParquetSink, ArrowIpcSink, openSink } from './sinks';
export { Database } from './duckdb/database';
export { LogIngester } from './logs/ingest';
export { exportLogs } from './logs/export';
