// ingest's run: the logs into their tables (ts/logs/ingest.ts), then conn joined to the packet index, whichever came first.
import { Database } from '../duckdb/database';
import { IngestOptions, IngestSummary, LogIngester } from '../logs/ingest';
import { ensureConnPacketsView } from '../pcap/conn-packets';

export async function ingestLogs(dbPath: string, paths: string[], options: IngestOptions): Promise<IngestSummary> {
  const db = await Database.open(dbPath);
  try {
    const summary = await LogIngester.ingest(db, paths, options);
    await ensureConnPacketsView(db);
    return summary;
  } finally {
    db.close();
  }
}
