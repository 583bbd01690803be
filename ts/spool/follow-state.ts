// What analyze --follow keeps in the database beside the logs and the index:
// which captures it analyzed and whether in its running Zeek's stream (and at
// which marker), to know where a restart goes on from; and the captures the
// recorder deleted (pcap.captures.gone_at).
import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import { Database } from '../duckdb/database';
import { literal } from '../schema/sql-text';
import { PCAP, ensurePcapTables } from '../pcap/index-tables';

const FOLLOWED = 'pcap.followed';
const ENDS = 'pcap.follow_ends';

export async function ensureFollowTables(db: Database): Promise<void> {
  await ensurePcapTables(db);
  // in_stream: fed to the running Zeek (then marker_us is the marker its logs were taken at); else analyzed by a Zeek of its own.
  await db.run(`CREATE TABLE IF NOT EXISTS ${FOLLOWED} (fingerprint VARCHAR NOT NULL, in_stream BOOLEAN NOT NULL,
    marker_us BIGINT, committed_at TIMESTAMPTZ NOT NULL)`);
  // A stop that ended Zeek's trace (its open sessions logged as at a capture's end): a restart feeds nothing again.
  await db.run(`CREATE TABLE IF NOT EXISTS ${ENDS} (marker_us BIGINT, ended_at TIMESTAMPTZ NOT NULL)`);
}

/** Records that the stream ended cleanly after the marker at `markerMicros` (inside the commit's transaction). */
export async function recordEnd(db: Database, markerMicros: number): Promise<void> {
  await db.run(`INSERT INTO ${ENDS} VALUES (${markerMicros}, now())`);
}

/** Records captures analyzed (inside the commit's transaction). */
export async function recordFollowed(db: Database, fingerprints: string[], markerMicros: number | null): Promise<void> {
  for (const f of fingerprints) {
    await db.run(`INSERT INTO ${FOLLOWED} VALUES (${literal(f)}, ${markerMicros !== null}, ${markerMicros ?? 'NULL'}, now())`);
  }
}

/** The last marker of the stream in an earlier run (its newest packet's time), if any. */
export async function streamTime(db: Database): Promise<number> {
  const [last] = await db.all(`SELECT max(marker_us) AS m FROM ${FOLLOWED} WHERE in_stream`);
  return last.m === null ? -Infinity : Number(last.m);
}

/** A capture of the stream a restart feeds Zeek again (its logs were taken already) so that sessions open at the stop are whole. */
export interface Replay { file: string; firstMicros: number; lastMicros: number }

/**
 * Where the stream stopped (the last marker whose logs were taken), and the stream's captures still on disk whose
 * packets reach into the `windowMicros` before it, in time order.
 */
export async function replayPlan(db: Database, windowMicros: number): Promise<{ markerMicros: number; captures: Replay[] } | undefined> {
  const [last] = await db.all(`SELECT max(marker_us) AS m, (SELECT max(marker_us) FROM ${ENDS}) AS ended FROM ${FOLLOWED} WHERE in_stream`);
  if (last.m === null || (last.ended !== null && Number(last.ended) >= Number(last.m))) return undefined;
  const markerMicros = Number(last.m);
  const rows = await db.all(`SELECT c.path, epoch_us(c.first_ts) AS first, epoch_us(c.last_ts) AS last FROM ${PCAP}.captures c
    JOIN ${FOLLOWED} f USING (fingerprint) WHERE f.in_stream AND c.gone_at IS NULL AND c.last_ts IS NOT NULL
    AND epoch_us(c.last_ts) >= ${markerMicros - windowMicros} ORDER BY c.first_ts, c.path`);
  const captures = rows.map(r => ({ file: String(r.path), firstMicros: Number(r.first), lastMicros: Number(r.last) }))
    .filter(c => existsSync(c.file));
  return { markerMicros, captures };
}

/** Marks the captures under `dirs` that are no longer on disk as gone; returns their paths. */
export async function markGone(db: Database, dirs: string[]): Promise<string[]> {
  const under = dirs.map(d => `starts_with(path, ${literal(d.endsWith(sep) ? d : d + sep)})`).join(' OR ');
  const rows = await db.all(`SELECT capture_id, path FROM ${PCAP}.captures WHERE gone_at IS NULL AND (${under})`);
  const gone = rows.filter(r => !existsSync(String(r.path)));
  if (gone.length) {
    await db.run(`UPDATE ${PCAP}.captures SET gone_at = now() WHERE capture_id IN (${gone.map(r => Number(r.capture_id)).join(', ')})`);
  }
  return gone.map(r => String(r.path));
}
