// The view conn_packets: every packet of every conn record, from the packet
// index. Plain SQL (no UDFs), so any DuckDB client can query it.
import { Database } from '../duckdb/database';
import { ICMP6_COUNTERPARTS, ICMP_COUNTERPARTS } from './community-id';
import { KEY_COLUMN, OLD_LAYOUT_COLUMN, PCAP, ensurePcapTables } from './index-tables';
import { FRAGMENT } from './flow-segments';
import { ident, literal } from '../schema/sql-text';

/** The table's top-level column names; none when there is no such table. */
export async function columnsOf(db: Database, schema: string, table: string): Promise<Set<string>> {
  // A query of no rows names them in ~1 ms, where duckdb_columns() walks every catalog (~9 ms, an extract's worth).
  try {
    return new Set((await db.query(`SELECT * FROM ${ident(schema)}.${ident(table)} LIMIT 0`)).columnNames());
  } catch (e) {
    if ((e as Error).message.startsWith('Catalog Error')) return new Set();
    throw e;
  }
}

/** SQL mapping an ICMP type to the port Community ID pairs it with (NULL: one-way type). */
function counterpartSql(type: string, table: Record<number, number>): string {
  return `CASE ${type} ${Object.entries(table).map(([t, c]) => `WHEN ${t} THEN ${c}`).join(' ')} END`;
}

/**
 * SQL giving each conn (all, or those `selected` by a condition on main.conn)
 * its flow and the span of packet times that are its own. The rule: a packet
 * belongs to the conn of its flow that started last at or before it. Zeek
 * reuses 5-tuples over time, splits idle flows, and counts packets after a TCP
 * close without moving the conn's end, but it always starts a new conn with the
 * next packet it counts. The first conn of a flow also takes packets stamped
 * before it (captures are not always in time order). The flow is the Community
 * ID when conn has one, else the endpoints either way round (ICMP types mapped
 * to ports as Zeek keys them). Packet times are µs as Zeek logs them.
 */
export function connSpansSql(connColumns: Set<string>, selected?: string, selectedFlows?: string[]): string {
  const protoNumber = `CASE proto WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17 WHEN 'icmp'
    THEN CASE WHEN contains(id.orig_h, ':') THEN 58 ELSE 1 END END`;
  const proto = connColumns.has('ip_proto') ? `coalesce(ip_proto, ${protoNumber})` : protoNumber;
  const communityId = connColumns.has('community_id') ? 'community_id' : 'CAST(NULL AS VARCHAR)';
  const counterpart = `CASE WHEN proto_number = 1 THEN ${counterpartSql('orig_p', ICMP_COUNTERPARTS)}
    WHEN proto_number = 58 THEN ${counterpartSql('orig_p', ICMP6_COUNTERPARTS)} END`;
  const endpoint = (h: string, p: string) => `${h} || ' ' || ${p}`;
  const before = (x: string, y: string) => `(${x}.start_ts < ${y}.start_ts OR (${x}.start_ts = ${y}.start_ts AND ${x}.uid < ${y}.uid))`;
  // With a selection, only conns that can share the selected conns' flows are looked at: those of their Community
  // IDs when the caller found them (a lookup in conn's index), else those between their addresses (a scan of two
  // address columns, not a flow name for every conn).
  const related = !selected ? '' : selectedFlows ? `WHERE community_id IN (${selectedFlows.map(literal).join(', ') || 'NULL'})`
    : `WHERE id.orig_h IN (SELECT address FROM addresses) AND id.resp_h IN (SELECT address FROM addresses)`;
  return `WITH ${selected ? `picked AS MATERIALIZED (
  SELECT uid, id.orig_h AS orig_h, id.resp_h AS resp_h FROM main.conn WHERE ${selected}
), ` : ''}${selected && !selectedFlows ? `addresses AS MATERIALIZED (
  SELECT orig_h AS address FROM picked UNION SELECT resp_h FROM picked
), ` : ''}conns AS (
  SELECT uid, ts AS start_ts, id.orig_h AS orig_h, id.orig_p AS orig_p, id.resp_h AS resp_h, id.resp_p AS resp_p,
    ${proto} AS proto_number, ${communityId} AS community_id
  FROM main.conn ${related}
), c AS (
  SELECT *, orig_p AS orig_port,
    CASE WHEN proto_number IN (1, 58) THEN coalesce(${counterpart}, resp_p) ELSE resp_p END AS resp_port,
    proto_number IN (1, 58) AND ${counterpart} IS NULL AS one_way
  FROM conns
), flow_of AS (
  SELECT *, coalesce(community_id, proto_number || ' ' || CASE WHEN one_way
    THEN ${endpoint('orig_h', 'orig_port')} || ' > ' || ${endpoint('resp_h', 'resp_port')}
    ELSE least(${endpoint('orig_h', 'orig_port')}, ${endpoint('resp_h', 'resp_port')}) || ' ' ||
      greatest(${endpoint('orig_h', 'orig_port')}, ${endpoint('resp_h', 'resp_port')}) END) AS flow
  FROM c
), chosen AS (
  SELECT * FROM flow_of ${selected ? 'WHERE uid IN (SELECT uid FROM picked)' : ''}
)
SELECT s.*,
  CASE WHEN EXISTS (SELECT 1 FROM flow_of e WHERE e.flow = s.flow AND ${before('e', 's')})
    THEN s.start_ts ELSE '-infinity'::TIMESTAMPTZ END AS from_ts,
  (SELECT min(n.start_ts) FROM flow_of n WHERE n.flow = s.flow AND ${before('s', 'n')}) AS next_ts
FROM chosen s`;
}

/** The view's SQL: the spans joined to the packet index, one row per packet. */
function connPacketsSql(connColumns: Set<string>): string {
  const flowColumns = `f.capture_id, f.a_addr, f.a_port, f.first_ts, f.first_offset, f.offset_deltas, f.ts_deltas, f.from_a, f.fragment`;
  const window = `f.last_ts >= k.from_ts AND (k.next_ts IS NULL OR f.first_ts < k.next_ts)`;
  return `CREATE OR REPLACE VIEW conn_packets AS
WITH k AS (${connSpansSql(connColumns)}
), flows AS (
  SELECT k.uid, k.from_ts, k.next_ts, k.orig_h, k.orig_port, ${flowColumns}
  FROM k JOIN ${PCAP}.flow_packets f ON f.community_id = k.community_id
  WHERE k.community_id IS NOT NULL AND ${window}
  UNION ALL
  SELECT k.uid, k.from_ts, k.next_ts, k.orig_h, k.orig_port, ${flowColumns}
  FROM k JOIN ${PCAP}.flow_packets f ON f.proto = k.proto_number AND (
    (f.a_addr = k.orig_h AND f.a_port = k.orig_port AND f.b_addr = k.resp_h AND f.b_port = k.resp_port) OR
    (f.a_addr = k.resp_h AND f.a_port = k.resp_port AND f.b_addr = k.orig_h AND f.b_port = k.orig_port AND NOT k.one_way))
  WHERE k.community_id IS NULL AND ${window}
), packets AS (
  SELECT uid, from_ts, next_ts, capture_id, a_addr = orig_h AND a_port = orig_port AS orig_is_a,
    first_offset + unnest(offset_deltas) AS "offset", make_timestamptz(epoch_us(first_ts) + unnest(ts_deltas)) AS ts,
    unnest(from_a) AS from_a, unnest(fragment) AS fragment
  FROM flows
)
SELECT p.uid, cap.path AS file, p.capture_id, p."offset", p.ts,
  CASE WHEN p.from_a = p.orig_is_a THEN 'orig' ELSE 'resp' END AS direction,
  CASE p.fragment WHEN ${FRAGMENT.FIRST} THEN 'first' WHEN ${FRAGMENT.LATER} THEN 'later' WHEN ${FRAGMENT.INCOMPLETE} THEN 'incomplete' END AS fragment
FROM packets p JOIN ${PCAP}.captures cap USING (capture_id)
WHERE p.ts >= p.from_ts AND (p.next_ts IS NULL OR p.ts < p.next_ts)`;
}

/** Creates (or recreates) conn_packets when the database has both a conn table and a packet index. */
export async function ensureConnPacketsView(db: Database): Promise<boolean> {
  const conn = await columnsOf(db, 'main', 'conn');
  const index = await columnsOf(db, PCAP, 'flow_packets');
  if (index.size && (index.has(OLD_LAYOUT_COLUMN) || !index.has(KEY_COLUMN))) await ensurePcapTables(db); // converts it
  if (conn.size === 0 || index.size === 0) return false;
  await db.run(connPacketsSql(conn));
  // Extraction looks a conn up by uid, and its flow's other conns by Community ID: lookups, not scans of conn, so
  // they take as long at 10 million conns as at 10 thousand (~45 bytes a conn each; built once, then kept up to date).
  if (conn.has('uid')) await db.run('CREATE INDEX IF NOT EXISTS conn_uid ON main.conn (uid)');
  if (conn.has('community_id')) await db.run('CREATE INDEX IF NOT EXISTS conn_community_id ON main.conn (community_id)');
  return true;
}
