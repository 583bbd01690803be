// zeekCommunityIdSql(): the Community ID computed by DuckDB from the tuple the packet index stores, against
// independent sources: the spec's baseline vectors, Zeek's conn.log, and the index's own column.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { listCaptureFiles } from '../ts/pcap/capture-files';
import { zeekCommunityId, zeekCommunityIdSql } from '../ts/pcap/community-id';
import { flowTuple, newFlowTuple, zeekHasPorts } from '../ts/pcap/flow-key';
import { indexCaptures } from '../ts/pcap/indexer';
import { parseAddress, renderAddress } from '../ts/pcap/address';
import { FlowLayer } from '../ts/pcap/types';
import { literal } from '../ts/schema/sql-text';
import { corpusPath, traceLogDirs, tsvRecords } from './helpers/corpus';
import { suiteTempDirs } from './helpers/logs';

interface Vector { proto: number; saddr: string; daddr: string; sport: number | null; dport: number | null; communityid: string }

const ID = zeekCommunityIdSql('proto', 'a_addr', 'a_port', 'b_addr', 'b_port');

/** The flow as the index stores it (endpoints in its order, ICMP's counterpart, ports 0 where Zeek has none), as SQL literals. */
function storedTuple(proto: number, src: string, dst: string, srcPort: number, dstPort: number): string {
  const layer = { proto, src: parseAddress(src), dst: parseAddress(dst), srcPort, dstPort } as FlowLayer;
  const t = flowTuple(layer, newFlowTuple());
  const [a, b] = t.fromA ? [src, dst] : [dst, src];
  const text = (x: string) => renderAddress(parseAddress(x));
  return `SELECT ${proto} AS proto, ${literal(text(a))} AS a_addr, ${t.aPort} AS a_port, ${literal(text(b))} AS b_addr, ${t.bPort} AS b_port`;
}

describe('Community ID in SQL (zeekCommunityIdSql)', () => {
  const temp = suiteTempDirs();
  let db: Database;
  before(async () => {
    db = await Database.open(join(temp(), 'index.duckdb'));
    const captures = (await listCaptureFiles([corpusPath('pcaps'), corpusPath('community-id', 'combined.pcap.gz')])).files;
    await indexCaptures(db, captures);
  });
  after(() => db.close());

  /** The SQL's Community ID of each tuple (a SELECT of one row each), in one query. */
  const computed = async (selects: string[]) => (await db.all(`SELECT ${ID} AS id FROM (${selects.map((s, i) => `${s}, ${i} AS i`)
    .join(' UNION ALL ')}) ORDER BY i`)).map(r => String(r.id));

  it("gives the spec's baseline vectors (no equal addresses, SCTP left out: Zeek hashes its ports as 0)", async () => {
    const vectors: Vector[] = JSON.parse(readFileSync(corpusPath('community-id', 'baseline_deflt.json'), 'utf8'));
    assert.equal(vectors.length, 23);
    const checked = vectors.filter(x => x.proto !== 132);
    assert.equal(checked.length, 21);
    const ids = await computed(checked.map(v => storedTuple(v.proto, v.saddr, v.daddr, zeekHasPorts(v.proto) ? v.sport ?? 0 : 0,
      zeekHasPorts(v.proto) ? v.dport ?? 0 : 0)));
    checked.forEach((v, i) => assert.equal(ids[i], v.communityid, JSON.stringify(v)));
  });

  it("gives Zeek's values where Zeek differs from the spec: equal addresses, SCTP; and IPv6 text in every form", async () => {
    // conn.log of modbus__modbusSmall.pcap and of communityid__sctp.pcap.
    assert.deepEqual(await computed([storedTuple(6, '118.189.96.132', '118.189.96.132', 55480, 502),
      storedTuple(132, '192.168.170.8', '192.168.170.56', 0, 0)]), ['1:RHYdUrnW1ajVrfZcqHGqSvudY1M=', '1:U5cVwrVgLshgANPmc8hKzEcqp1M=']);
    const cases: [number, string, string, number, number][] = [
      [6, '1.2.3.4', '1.2.3.4', 1122, 3344], [17, '1.2.3.4', '1.2.3.4', 3344, 1122], [6, 'fe80::1', 'fe80::1', 80, 80],
      [1, '1.2.3.4', '1.2.3.4', 8, 0], [1, '5.6.7.8', '5.6.7.8', 0, 8], [1, '1.2.3.4', '1.2.3.4', 11, 0], [1, '1.2.3.4', '5.6.7.8', 3, 1],
      [58, '::1', '::2', 128, 0], [58, 'fe80::200:86ff:fe05:80da', 'ff02::1', 135, 0], [58, '2001:db8::1', '2001:db8::1', 137, 0],
      [17, '::ffff:10.1.2.3', 'fe80::1', 53, 5353], [6, '::10.1.2.3', '::', 1, 2], [6, '2001:db8:0:0:1:0:0:1', '1:2:3:4:5:6:7:8', 443, 65535],
      [50, '10.0.0.1', '10.0.0.2', 0, 0], [47, 'fe80::1', 'fe80::2', 0, 0], [132, '10.0.0.2', '10.0.0.1', 0, 0],
    ];
    const ids = await computed(cases.map(c => storedTuple(...c)));
    cases.forEach(([proto, src, dst, sport, dport], i) =>
      assert.equal(ids[i], zeekCommunityId(proto, parseAddress(src), parseAddress(dst), sport, dport), JSON.stringify(cases[i])));
    // Text as parseAddress() reads it, not only as renderAddress() writes it: a dotted tail, leading zeros, capitals.
    assert.deepEqual(await computed([`SELECT 6 AS proto, '::10.1.2.3' AS a_addr, 1 AS a_port, 'FE80:0:0:0:0:0:0:0001' AS b_addr, 2 AS b_port`]),
      [zeekCommunityId(6, parseAddress('::10.1.2.3'), parseAddress('fe80::1'), 1, 2)]);
  });

  it('equals the index\'s community_id for every flow of the corpus (IPv6, tunnels, ICMP, SCTP, equal addresses)', async () => {
    const [r] = await db.all(`SELECT count(*) AS flows, count(*) FILTER (WHERE ${ID} <> community_id) AS differ,
        count(*) FILTER (WHERE contains(a_addr, ':')) AS ipv6, count(*) FILTER (WHERE a_addr = b_addr) AS equal,
        count(DISTINCT proto) AS protos, count(*) FILTER (WHERE proto IN (1, 58)) AS icmp, count(*) FILTER (WHERE proto = 132) AS sctp
      FROM pcap.flow_packets`);
    assert.equal(Number(r.differ), 0);
    assert.ok(Number(r.flows) > 800, String(r.flows));
    assert.ok(Number(r.ipv6) > 100 && Number(r.equal) > 0 && Number(r.icmp) > 0 && Number(r.sctp) > 0, JSON.stringify(r, (k, v) => typeof v === 'bigint' ? Number(v) : v));
  });

  it("gives every community_id of Zeek's conn.log over the corpus (374), from the index's flows", async () => {
    const ids = new Set<string>();
    for (const dir of traceLogDirs('tsv')) {
      const conn = join(dir, 'conn.log');
      if (!existsSync(conn)) continue;
      for (const r of tsvRecords(conn)) if (r.community_id !== undefined && r.community_id !== '-') ids.add(r.community_id);
    }
    const computedIds = new Set((await db.all(`SELECT DISTINCT ${ID} AS id FROM pcap.flow_packets`)).map(r => String(r.id)));
    const missing = [...ids].filter(id => !computedIds.has(id));
    assert.equal(ids.size, 374);
    assert.deepEqual(missing, []);
  });
});
