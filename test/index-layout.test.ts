import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../ts/duckdb/database';
import { LogIngester } from '../ts/logs/ingest';
import { extractSessions } from '../ts/pcap/extract';
import { ensureConnPacketsView } from '../ts/pcap/conn-packets';
import { indexCaptures } from '../ts/pcap/indexer';
import { corpusPath } from './helpers/corpus';
import { suiteTempDirs } from './helpers/logs';
import { readRecords } from './helpers/captures';

/** pcap.flow_packets as zeek-arrow wrote it before deltas: absolute offsets and times per packet. */
const OLD_FLOW_PACKETS = `CREATE TABLE pcap.flow_packets (
     community_id VARCHAR NOT NULL, capture_id UINTEGER NOT NULL, proto UTINYINT NOT NULL,
     a_addr VARCHAR NOT NULL, a_port USMALLINT NOT NULL, b_addr VARCHAR NOT NULL, b_port USMALLINT NOT NULL,
     first_ts TIMESTAMPTZ NOT NULL, last_ts TIMESTAMPTZ NOT NULL, packets UINTEGER NOT NULL,
     offsets UBIGINT[] NOT NULL, ts TIMESTAMPTZ[] NOT NULL,
     from_a BOOLEAN[] NOT NULL, fragment UTINYINT[] NOT NULL)`;

/** Every flow's community_key is the first 4 bytes of its Community ID's SHA-1 (decoded here by Node), big-endian. */
async function checkKeys(db: Database): Promise<void> {
  const rows = await db.all('SELECT community_id, community_key FROM pcap.flow_packets');
  assert.ok(rows.length > 10);
  for (const r of rows) assert.equal(Number(r.community_key), Buffer.from(String(r.community_id).slice(2), 'base64').readUInt32BE(0), String(r.community_id));
}

/** The names of the indexes on pcap.flow_packets. */
const flowIndexes = async (db: Database) =>
  (await db.all(`SELECT index_name FROM duckdb_indexes() WHERE table_name = 'flow_packets'`)).map(r => String(r.index_name));

describe('a packet index of the old layout (absolute offsets and times)', () => {
  const tempDir = suiteTempDirs();
  const name = 'http__bro.org.pcap';
  const capture = corpusPath('pcaps', name);
  let dir: string;
  let path: string;
  let packets: number;
  /** A database of the capture and its conn.log as an older zeek-arrow left it: its table, its index, a conn_packets over the old columns. */
  const writeOld = async (file: string) => {
    const db = await Database.open(file);
    try {
      await indexCaptures(db, [capture]);
      await LogIngester.ingest(db, [corpusPath('zeek-logs', 'tsv', name, 'conn.log')]);
      await db.run('ALTER TABLE pcap.flow_packets RENAME TO new_layout');
      await db.run(OLD_FLOW_PACKETS);
      await db.run(`INSERT INTO pcap.flow_packets SELECT community_id, capture_id, proto, a_addr, a_port, b_addr, b_port,
        first_ts, last_ts, packets, list_transform(offset_deltas, d -> first_offset + d),
        list_transform(ts_deltas, d -> make_timestamptz(epoch_us(first_ts) + d)), from_a, fragment FROM pcap.new_layout`);
      await db.run('DROP TABLE pcap.new_layout');
      await db.run('CREATE INDEX flow_packets_community_id ON pcap.flow_packets (community_id)');
      await db.run(`CREATE OR REPLACE VIEW conn_packets AS SELECT capture_id, unnest(offsets) AS "offset" FROM pcap.flow_packets`);
      return Number((await db.all('SELECT sum(len(offsets)) AS n FROM pcap.flow_packets'))[0].n);
    } finally {
      db.close();
    }
  };
  /** conn_packets of a new index of the capture and its conn.log. */
  let expected: Record<string, unknown>[];
  const connPackets = (d: Database) => d.all(`SELECT uid, "offset", epoch_us(ts) AS ts, direction, fragment FROM conn_packets
    ORDER BY uid, "offset"`);
  before(async () => {
    dir = tempDir();
    path = join(dir, 'old.duckdb');
    packets = await writeOld(path);
    const fresh = await Database.open(':memory:');
    try {
      await indexCaptures(fresh, [capture]);
      await LogIngester.ingest(fresh, [corpusPath('zeek-logs', 'tsv', name, 'conn.log')]);
      await ensureConnPacketsView(fresh);
      expected = await connPackets(fresh);
    } finally {
      fresh.close();
    }
  });

  it('extract, which opens it read-only, says what to run to convert it', async () => {
    const db = await Database.open(path, { access_mode: 'read_only' });
    try {
      const [{ id }] = await db.all('SELECT community_id AS id FROM pcap.flow_packets LIMIT 1');
      const message = `${path}: the packet index has the layout of an older zeek-arrow (absolute offsets and times): ` +
        `run 'zeek-arrow index --db ${path} <any capture>' once to convert it (captures already indexed are not read again)`;
      await assert.rejects(extractSessions(db, { communityIds: [String(id)] }, join(dir, 'out.pcap')), { message });
      await assert.rejects(extractSessions(db, { uids: ['CcvuMe3KIDgdxGsNCd'] }, join(dir, 'out.pcap')), { message });
    } finally {
      db.close();
    }
  });

  it('index converts it: every packet at its record and time, conn_packets and extract as from a new index', async () => {
    const db = await Database.open(path);
    const fresh = await Database.open(':memory:');
    try {
      const summary = await indexCaptures(db, [capture]);
      assert.deepEqual([summary.captures, summary.skipped, summary.problems], [0, 1, []]);
      const columns = (await db.query('SELECT * FROM pcap.flow_packets LIMIT 0')).columnNames();
      assert.ok(columns.includes('offset_deltas') && !columns.includes('offsets'));
      assert.deepEqual(await flowIndexes(db), []);
      await checkKeys(db);
      // Each packet is the record at its offset in the capture, with its time (read here from the capture itself).
      const records = new Map((await readRecords(capture)).records.map(r => [r.offset, r]));
      const rows = await db.all(`SELECT first_offset + unnest(offset_deltas) AS o, epoch_us(first_ts) + unnest(ts_deltas) AS t
        FROM pcap.flow_packets`);
      assert.equal(rows.length, packets);
      for (const r of rows) {
        const record = records.get(Number(r.o));
        assert.ok(record, `no record at ${r.o}`);
        assert.equal(Number(r.t), record.micros + (record.nanos >= 500 ? 1 : 0));
      }
      await indexCaptures(fresh, [capture]);
      await checkKeys(fresh);
      const converted = await connPackets(db);
      assert.ok(converted.length > 700);
      assert.deepEqual(converted, expected);
      const [{ id }] = await fresh.all('SELECT community_id AS id FROM pcap.flow_packets ORDER BY packets DESC, community_id LIMIT 1');
      await extractSessions(db, { communityIds: [String(id)] }, join(dir, 'converted.pcap'));
      await extractSessions(fresh, { communityIds: [String(id)] }, join(dir, 'fresh.pcap'));
      assert.ok(readFileSync(join(dir, 'converted.pcap')).equals(readFileSync(join(dir, 'fresh.pcap'))));
    } finally {
      db.close();
      fresh.close();
    }
  });

  it('ingest converts it too (as it makes conn_packets)', async () => {
    const other = join(dir, 'old-ingest.duckdb');
    await writeOld(other);
    const db = await Database.open(other);
    try {
      await ensureConnPacketsView(db); // what ingest does after loading logs
      const columns = (await db.query('SELECT * FROM pcap.flow_packets LIMIT 0')).columnNames();
      assert.ok(columns.includes('offset_deltas') && !columns.includes('offsets'));
      assert.deepEqual(await connPackets(db), expected);
    } finally {
      db.close();
    }
  });

  it('index drops the ART index an index of deltas had, and adds community_key: extract as from a new index', async () => {
    const other = join(dir, 'with-art.duckdb');
    const db = await Database.open(other);
    const fresh = await Database.open(':memory:');
    try {
      // As the zeek-arrow before community_key left it.
      await indexCaptures(db, [capture]);
      await db.run('CREATE TABLE pcap.previous AS SELECT * EXCLUDE (community_key) FROM pcap.flow_packets');
      await db.run('DROP TABLE pcap.flow_packets');
      await db.run('ALTER TABLE pcap.previous RENAME TO flow_packets');
      await db.run('CREATE INDEX flow_packets_community_id ON pcap.flow_packets (community_id)');
      await db.run('CHECKPOINT');
      const [before] = await db.all('SELECT used_blocks FROM pragma_database_size()');
      await indexCaptures(fresh, [capture]);
      const [{ id }] = await fresh.all('SELECT community_id AS id FROM pcap.flow_packets ORDER BY packets DESC, community_id LIMIT 1');
      await extractSessions(fresh, { communityIds: [String(id)] }, join(dir, 'fresh.pcap'));
      db.close();
      // Read-only, it is read as it is.
      const readOnly = await Database.open(other, { access_mode: 'read_only' });
      try {
        await extractSessions(readOnly, { communityIds: [String(id)] }, join(dir, 'read-only.pcap'));
      } finally {
        readOnly.close();
      }
      assert.ok(readFileSync(join(dir, 'read-only.pcap')).equals(readFileSync(join(dir, 'fresh.pcap'))));
      const again = await Database.open(other);
      try {
        const summary = await indexCaptures(again, [capture]);
        assert.deepEqual([summary.captures, summary.skipped], [0, 1]);
        assert.deepEqual(await flowIndexes(again), []);
        await checkKeys(again);
        await again.run('CHECKPOINT');
        const [after] = await again.all('SELECT used_blocks FROM pragma_database_size()');
        assert.ok(Number(after.used_blocks) < Number(before.used_blocks), `used blocks ${before.used_blocks} -> ${after.used_blocks}`);
        await extractSessions(again, { communityIds: [String(id)] }, join(dir, 'keyed.pcap'));
        assert.ok(readFileSync(join(dir, 'keyed.pcap')).equals(readFileSync(join(dir, 'fresh.pcap'))));
      } finally {
        again.close();
      }
    } finally {
      db.close();
      fresh.close();
    }
  });

  it('a flow whose community_key another flow shares: extract gives its own packets only', async () => {
    const db = await Database.open(':memory:');
    try {
      await indexCaptures(db, [capture]);
      const [{ id }] = await db.all('SELECT community_id AS id FROM pcap.flow_packets ORDER BY packets DESC, community_id LIMIT 1');
      await extractSessions(db, { communityIds: [String(id)] }, join(dir, 'alone.pcap'));
      // Every other flow given its key, as if their hashes began alike.
      await db.run(`UPDATE pcap.flow_packets SET community_key = (SELECT community_key FROM pcap.flow_packets WHERE community_id = ${`'${String(id)}'`})`);
      const [{ n }] = await db.all(`SELECT count(DISTINCT community_key) AS n FROM pcap.flow_packets`);
      assert.equal(Number(n), 1);
      const shared = await extractSessions(db, { communityIds: [String(id)] }, join(dir, 'shared.pcap'));
      assert.ok(shared.packets > 10);
      assert.ok(readFileSync(join(dir, 'shared.pcap')).equals(readFileSync(join(dir, 'alone.pcap'))));
    } finally {
      db.close();
    }
  });
});
