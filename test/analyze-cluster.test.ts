import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { renderAddress } from '../ts/pcap/address';
import { readCapture } from '../ts/pcap/capture-reader';
import { decodePacket } from '../ts/pcap/decode';
import { DecodedPacket } from '../ts/pcap/types';
import { corpusPath } from './helpers/corpus';
import { SAME, analyze, clusterDifferences, same } from './helpers/cluster-compare';
import { tempDir } from './helpers/logs';
import { describeWithZeek } from './helpers/zeek';

/** Corpus captures left out of the comparison, and why. */
const CAPTURES_DIFFER: Record<string, string> = {
  'tunnels__Teredo.pcap': 'a Teredo relay answers from another IPv4 address: the outer address pairs of an ICMPv6 echo and its ' +
    'reply differ, so they reach different workers and make two conns (the cost of hashing the outermost pair)',
  'ipv6-http-atomic-frag.trace': 'its two seconds lie inside the years of smtp.trace and ssh__ssh.trace: merged by time, its ' +
    'HTTP file times out as their later packets move the clock on, where one Zeek reading it alone ends first',
};

/**
 * Writes the packets of a pcap into two pcaps by flow (flows in order of first packet, alternately; non-IP
 * packets to the first): two captures of the same hours. Returns the packets in each.
 */
async function splitByFlow(file: string, a: string, b: string): Promise<[number, number]> {
  const outs = [[] as Buffer[], [] as Buffer[]];
  const flows = new Map<string, number>();
  const decoded: DecodedPacket = { layers: [], count: 0 };
  let header: Buffer | undefined;
  const info = await readCapture(file, r => {
    decodePacket(r.bytes, r.linkType, decoded, r.dataOffset, r.dataOffset + r.caplen);
    let half = 0;
    if (decoded.count) {
      const l = decoded.layers[0];
      const ends = [`${renderAddress(l.src)} ${l.srcPort}`, `${renderAddress(l.dst)} ${l.dstPort}`].sort();
      const key = `${l.proto} ${ends.join(' ')}`;
      if (!flows.has(key)) flows.set(key, flows.size % 2);
      half = flows.get(key)!;
    }
    outs[half].push(Buffer.from(r.bytes.subarray(r.dataOffset - 16, r.dataOffset + r.caplen)));
  });
  assert.equal(info.format, 'pcap');
  header = readFileSync(file).subarray(0, 24);
  writeFileSync(a, Buffer.concat([header, ...outs[0]]));
  writeFileSync(b, Buffer.concat([header, ...outs[1]]));
  return [outs[0].length, outs[1].length];
}

describeWithZeek('zeek-arrow analyze --workers N: Zeek cluster workers fed by address pair', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('the split set: 2 and 3 workers give the rows one Zeek gives, each conn with the same packets', async function () {
    this.timeout(1_800_000);
    const dir = tempDir();
    dirs.push(dir);
    for (const workers of ['1', '2', '3']) {
      const run = analyze(dir, `w${workers}.duckdb`, '-C', '--workers', workers, corpusPath('split'));
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr, '');
      // Counts of the corpus (MANIFEST.tsv: 3245 packets; CHECK.txt: the original traces' 30 conns).
      assert.match(run.stdout, /^analyzed 12 captures with Zeek [^:]*: conn 30, .*; indexed 12 \(3245 packets, 46 flows\); 0 already analyzed\n$/);
    }
    const logs = ['w2.duckdb', 'w3.duckdb'];
    // The split set's traces have no DNS, HTTP or TLS.
    for (const l of logs) assert.deepEqual(await clusterDifferences(dir, 'w1.duckdb', l), same('conn', 'files', 'conn_packets'), l);
    const db = await Database.open(join(dir, 'w3.duckdb'));
    try {
      // CHECK.txt: 4 smb and 5 ssh sessions cross pieces; on 3 workers they are still whole.
      const crossing = await db.all(`SELECT count(*) AS n FROM (SELECT uid FROM conn_packets GROUP BY uid HAVING count(DISTINCT file) > 1)`);
      assert.equal(Number(crossing[0].n), 9);
      const tables = (await db.all(`SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'`)).map(r => String(r.table_name));
      assert.ok(!tables.includes('cluster'), 'cluster.log is not one of the tables one Zeek writes');
    } finally {
      db.close();
    }
  });

  it('a capture split by flow into two files of the same hours analyzes to the rows of the original', async function () {
    this.timeout(1_800_000);
    const dir = tempDir();
    dirs.push(dir);
    const original = corpusPath('pcaps', 'smb__smb3_multichannel.pcap');
    const counts = await splitByFlow(original, join(dir, 'a.pcap'), join(dir, 'b.pcap'));
    assert.ok(counts[0] > 100 && counts[1] > 100, `both halves have packets: ${counts}`);
    const whole = analyze(dir, 'whole.duckdb', '-C', '--workers', '1', original);
    assert.equal(whole.status, 0, whole.stderr);
    const halves = analyze(dir, 'halves.duckdb', '-C', '--workers', '2', 'a.pcap', 'b.pcap');
    assert.equal(halves.status, 0, halves.stderr);
    assert.match(halves.stdout, /^analyzed 2 captures with Zeek [^:]*: conn \d+, .*; indexed 2 \(1448 packets, /);
    const differences = await clusterDifferences(dir, 'whole.duckdb', 'halves.duckdb');
    // conn_packets names the files: the halves' packets are in other files than the original's.
    const expected = { ...same('conn', 'files'), conn_packets: differences.conn_packets };
    assert.deepEqual(differences, expected);
    const db = await Database.open(join(dir, 'halves.duckdb'));
    try {
      // Every conn joins as many packets as it counted (so none of its packets was left in the other half's worker).
      const wrong = await db.all(`SELECT count(*) AS n FROM conn c LEFT JOIN (SELECT uid, count(*) FILTER (direction = 'orig') AS o,
          count(*) FILTER (direction = 'resp') AS r FROM conn_packets WHERE fragment IS NULL OR fragment = 'first' GROUP BY uid) p USING (uid)
        WHERE c.orig_pkts IS DISTINCT FROM coalesce(p.o, 0) OR c.resp_pkts IS DISTINCT FROM coalesce(p.r, 0)`);
      assert.equal(Number(wrong[0].n), 0);
    } finally {
      db.close();
    }
  });

  it('the corpus: 2 and 3 workers give the rows one Zeek gives (a cluster run per link type)', async function () {
    this.timeout(3_600_000);
    const dir = tempDir();
    dirs.push(dir);
    const compared = readdirSync(corpusPath('pcaps')).filter(f => f !== 'MANIFEST.tsv' && !(f in CAPTURES_DIFFER));
    for (const workers of ['1', '2', '3']) {
      const run = analyze(dir, `w${workers}.duckdb`, '-C', '--workers', workers, ...compared.map(f => corpusPath('pcaps', f)));
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^analyzed ${compared.length} captures with Zeek `));
    }
    for (const l of ['w2.duckdb', 'w3.duckdb']) assert.deepEqual(await clusterDifferences(dir, 'w1.duckdb', l), SAME, l);
  });
});
