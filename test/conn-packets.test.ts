import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogIngester } from '../ts/logs/ingest';
import { indexCaptures } from '../ts/pcap/indexer';
import { corpusPath } from './helpers/corpus';

/**
 * Conns whose packet count in conn.log is not the number of packets Zeek's
 * packets-on-disk give, and why. Everything else must match exactly.
 */
const EXCEPTIONS: Record<string, { want: number; got: number; why: string }> = {
  'tcp__truncated-header.pcap CJKFoj4bpHEhTeaRoj': {
    want: 0, got: 1,
    why: 'the first packet\'s TCP header is cut by the 68-byte snaplen (weird truncated_header): Zeek opens a conn for it '
      + 'but counts no packet; the next packet, taken as connection reuse, opens the conn that counts the other 23',
  },
};

interface Mismatch { key: string; want: number; got: number }

/** Per conn: orig_pkts + resp_pkts against the packets conn_packets finds (fragments of one datagram once). */
async function compareTrace(name: string, withCommunityId: boolean): Promise<{ conns: number; mismatches: Mismatch[] }> {
  const db = await Database.open(':memory:');
  try {
    await LogIngester.ingest(db, [corpusPath('zeek-logs', 'tsv', name, 'conn.log')]);
    if (!withCommunityId) await db.run('ALTER TABLE conn DROP COLUMN community_id');
    await indexCaptures(db, [corpusPath('pcaps', name)]);
    const rows = await db.all(`SELECT c.uid, c.orig_pkts, c.resp_pkts, coalesce(p.orig, 0) AS orig, coalesce(p.resp, 0) AS resp
      FROM conn c LEFT JOIN (
        SELECT uid, count(*) FILTER (direction = 'orig') AS orig, count(*) FILTER (direction = 'resp') AS resp
        FROM conn_packets WHERE fragment IS NULL OR fragment = 'first' GROUP BY uid) p USING (uid)`);
    const mismatches: Mismatch[] = [];
    for (const r of rows) {
      // Each direction on its own, so a packet given to the wrong side is caught too.
      if (r.orig_pkts !== r.orig || r.resp_pkts !== r.resp) {
        mismatches.push({ key: `${name} ${r.uid}`, want: Number(r.orig_pkts) + Number(r.resp_pkts), got: Number(r.orig) + Number(r.resp) });
      }
    }
    return { conns: rows.length, mismatches };
  } finally {
    db.close();
  }
}

const traces = () => readdirSync(corpusPath('pcaps')).filter(name => existsSync(join(corpusPath('zeek-logs', 'tsv'), name, 'conn.log'))).sort();

for (const withCommunityId of [true, false]) {
  describe(`conn_packets over the corpus, joined by ${withCommunityId ? 'community_id' : '5-tuple (conn without community_id)'}`, () => {
    it('finds orig_pkts and resp_pkts packets for every conn, but the listed exceptions', async () => {
      let conns = 0;
      const mismatches: Mismatch[] = [];
      for (const name of traces()) {
        const result = await compareTrace(name, withCommunityId);
        conns += result.conns;
        mismatches.push(...result.mismatches);
      }
      const matched = conns - mismatches.length;
      console.log(`      match rate: ${matched}/${conns} conns (${(100 * matched / conns).toFixed(2)}%), ${traces().length} traces`);
      assert.deepEqual(Object.fromEntries(mismatches.map(m => [m.key, { want: m.want, got: m.got }])),
        Object.fromEntries(Object.entries(EXCEPTIONS).map(([k, { want, got }]) => [k, { want, got }])));
      assert.ok(conns > 1700, `only ${conns} conns compared`);
    });
  });
}
