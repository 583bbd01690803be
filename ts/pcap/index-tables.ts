import { Database } from '../duckdb/database';
import { communityKeySql } from './community-id';

export const PCAP = 'pcap';

/** pcap.flow_packets: a row per flow per capture; per packet (lists in file order) deltas from the flow's first. */
const FLOW_PACKETS = (name: string) => `CREATE TABLE IF NOT EXISTS ${PCAP}.${name} (
     community_id VARCHAR NOT NULL, capture_id UINTEGER NOT NULL, proto UTINYINT NOT NULL,
     a_addr VARCHAR NOT NULL, a_port USMALLINT NOT NULL, b_addr VARCHAR NOT NULL, b_port USMALLINT NOT NULL,
     first_ts TIMESTAMPTZ NOT NULL, last_ts TIMESTAMPTZ NOT NULL, packets UINTEGER NOT NULL,
     first_offset UBIGINT NOT NULL, offset_deltas UBIGINT[] NOT NULL, ts_deltas BIGINT[] NOT NULL,
     from_a BOOLEAN[] NOT NULL, fragment UTINYINT[] NOT NULL, community_key UINTEGER NOT NULL)`;
/** The ART index on community_id zeek-arrow kept before: a third of the file; lookups scan community_key now (README). */
const OLD_COMMUNITY_ID_INDEX = `${PCAP}.flow_packets_community_id`;

// One row per capture, and one row per flow per capture with every packet's
// place in it (lists in packet order). See "Packet index" in README.md.
const SETUP = [
  `CREATE SCHEMA IF NOT EXISTS ${PCAP}`,
  `CREATE SEQUENCE IF NOT EXISTS ${PCAP}.capture_ids`,
  `CREATE TABLE IF NOT EXISTS ${PCAP}.captures (
     capture_id UINTEGER PRIMARY KEY, path VARCHAR NOT NULL,
     sha256 VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, bytes UBIGINT NOT NULL, gzip BOOLEAN,
     format VARCHAR, link_types USMALLINT[], nanosecond BOOLEAN, little_endian BOOLEAN, snaplen UINTEGER,
     header_length UINTEGER, first_ts TIMESTAMPTZ, last_ts TIMESTAMPTZ, packets UBIGINT, problems VARCHAR[], analyzed_by VARCHAR,
     interfaces STRUCT(link_type USMALLINT, snaplen UINTEGER, tsresol UTINYINT, tsoffset BIGINT)[],
     sections STRUCT("offset" UBIGINT, first_interface UINTEGER)[], indexed_at TIMESTAMPTZ)`,
  FLOW_PACKETS('flow_packets'),
  // When analyze --follow saw the capture leave its spool (the recorder deleted it): its logs stay, its packets are gone.
  `ALTER TABLE ${PCAP}.captures ADD COLUMN IF NOT EXISTS gone_at TIMESTAMPTZ`,
  `DROP INDEX IF EXISTS ${OLD_COMMUNITY_ID_INDEX}`,
];

/**
 * Creates the packet index tables if missing, converts one of the layout before deltas, and gives one of deltas
 * without community_key its keys (after dropping the ART index it had).
 */
export async function ensurePcapTables(db: Database): Promise<void> {
  for (const sql of SETUP) await db.run(sql);
  const columns = (await db.query(`SELECT * FROM ${PCAP}.flow_packets LIMIT 0`)).columnNames();
  if (columns.includes(OLD_LAYOUT_COLUMN)) await convertOldLayout(db);
  else if (!columns.includes(KEY_COLUMN)) await addCommunityKeys(db);
}

/** The column lookups by Community ID scan first (communityKey()); indexes of an older zeek-arrow lack it. */
export const KEY_COLUMN = 'community_key';

/** Whether pcap.flow_packets has community_key (which every index of this zeek-arrow has). */
export async function hasCommunityKeys(db: Database): Promise<boolean> {
  return (await db.query(`SELECT * FROM ${PCAP}.flow_packets LIMIT 0`)).columnNames().includes(KEY_COLUMN);
}

/** Rewrites an index of deltas without community_key with it, rows in their order, in one transaction. */
async function addCommunityKeys(db: Database): Promise<void> {
  await db.transaction(async () => {
    await db.run(`ALTER TABLE ${PCAP}.flow_packets RENAME TO flow_packets_old`);
    await db.run(FLOW_PACKETS('flow_packets'));
    await db.run(`INSERT INTO ${PCAP}.flow_packets SELECT *, ${communityKeySql('community_id')} FROM ${PCAP}.flow_packets_old`);
    await db.run(`DROP TABLE ${PCAP}.flow_packets_old`);
  });
}

/** Whether pcap.flow_packets (which must exist) stores absolute offsets and times, as zeek-arrow did before deltas. */
export async function hasOldLayout(db: Database): Promise<boolean> {
  return (await db.query(`SELECT * FROM ${PCAP}.flow_packets LIMIT 0`)).columnNames().includes(OLD_LAYOUT_COLUMN);
}

/** The column only the old layout has (absolute offsets). */
export const OLD_LAYOUT_COLUMN = 'offsets';

/** What to run on a database whose packet index has the old layout, when it is open read-only. */
export function oldLayoutError(path: string): Error {
  return new Error(`${path}: the packet index has the layout of an older zeek-arrow (absolute offsets and times): ` +
    `run 'zeek-arrow index --db ${path} <any capture>' once to convert it (captures already indexed are not read again)`);
}

/** Bits a whole number takes, in SQL (0 for 0 and below). */
export const bits = (x: string) => `CASE WHEN ${x} < 1 THEN 0 ELSE floor(log2(${x}))::INTEGER + 1 END`;

/**
 * Rewrites an index of absolute offsets and times as deltas from each flow's first packet, rows in the order the
 * indexer stores them (by width of their deltas), in one transaction. conn_packets, written over the old columns, is
 * dropped: whoever converts makes it again (index, ingest, analyze).
 */
async function convertOldLayout(db: Database): Promise<void> {
  await db.transaction(async () => {
    await db.run('DROP VIEW IF EXISTS main.conn_packets');
    await db.run(`DROP INDEX IF EXISTS ${OLD_COMMUNITY_ID_INDEX}`);
    await db.run(`ALTER TABLE ${PCAP}.flow_packets RENAME TO flow_packets_old`);
    await db.run(FLOW_PACKETS('flow_packets'));
    const width = `${bits('epoch_us(last_ts) - epoch_us(first_ts)')}, ${bits('offsets[-1] - offsets[1]')}`;
    await db.run(`INSERT INTO ${PCAP}.flow_packets SELECT community_id, capture_id, proto, a_addr, a_port, b_addr, b_port,
        first_ts, last_ts, packets, offsets[1], list_transform(offsets, o -> o - offsets[1]),
        list_transform(ts, t -> epoch_us(t) - epoch_us(first_ts)), from_a, fragment, ${communityKeySql('community_id')}
      FROM ${PCAP}.flow_packets_old ORDER BY capture_id, ${width}`);
    await db.run(`DROP TABLE ${PCAP}.flow_packets_old`);
  });
}

/** Removes captures and their flows from the index (inside the caller's transaction). */
export async function dropCaptures(db: Database, captureIds: number[]): Promise<void> {
  if (!captureIds.length) return;
  const ids = captureIds.join(', ');
  await db.run(`DELETE FROM ${PCAP}.flow_packets WHERE capture_id IN (${ids})`);
  await db.run(`DELETE FROM ${PCAP}.captures WHERE capture_id IN (${ids})`);
}
