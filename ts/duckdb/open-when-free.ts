// DuckDB lets one process open a file for writing, and then no other process
// may open it at all. analyze --follow holds its database only while it
// commits a batch: a reader (sql, extract) that meets the lock waits, and the
// follow run waits for readers the same way.
import { Database } from './database';

/** How long sql, extract and the DuckDB input source wait for a database another process holds (a commit of analyze --follow, a read). */
export const LOCK_WAIT_MS = 30_000;

/** Opens the database, trying again while another process holds its lock, for up to `waitMs`. */
export async function openWhenFree(path: string, settings: Record<string, string> = {}, waitMs = 60_000): Promise<Database> {
  const until = Date.now() + waitMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    try {
      return await Database.open(path, settings);
    } catch (e) {
      if (!/Could not set lock/i.test((e as Error).message) || Date.now() > until) throw e;
      await new Promise(r => setTimeout(r, pause));
    }
  }
}
