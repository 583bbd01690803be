// What other layouts of pcap.flow_packets would take (issue 13: the packet index within 2% of the capture also
// for small packets). Each variant is written from an index's rows into a fresh DuckDB file beside pcap.captures,
// checkpointed, and measured: the file (what bench-pcap reports), its 256 KiB blocks, and each column's segments
// (a segment that ends a block is counted to the block's end). Also checks zeekCommunityIdSql() against the stored
// community_id of every flow and times it.
//
//   node dist/scripts/pcap-layout-sizes.js --db index.duckdb [--dir D] [--only gaps,varint]
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { Database } from '../ts/duckdb/database';
import { zeekCommunityIdSql } from '../ts/pcap/community-id';
import { bits } from '../ts/pcap/index-tables';
import { literal } from '../ts/schema/sql-text';

/** Each packet's difference from the flow's packet before it in file order (the first's from 0). */
const gaps = (list: string) => `list_transform(generate_series(1, len(${list})), i -> ${list}[i] - coalesce(${list}[i - 1], 0))`;
const derived = 'community_id, last_ts, packets';
const GAPS = `WITH g AS (SELECT * EXCLUDE (${derived}), ${gaps('ts_deltas')} AS ts_gaps, ${gaps('offset_deltas')} AS offset_gaps FROM s.pcap.flow_packets)`;
/** Rows by the bits of their widest gaps, as the indexer orders them by their widest deltas. */
const BY_GAP_WIDTH = `ORDER BY ${bits('list_max(ts_gaps) - list_min(ts_gaps)')}, ${bits('list_max(offset_gaps)')}, first_offset`;
const STRUCT = `list_transform(generate_series(1, len(offset_gaps)), i -> {'offset_gap': offset_gaps[i], 'ts_gap': ts_gaps[i],
  'from_a': from_a[i], 'fragment': fragment[i]}) AS packet_list`;

const BLOCK = 262144;

/** LEB128 of a whole number >= 0 onto `out`. */
function varint(value: bigint, out: number[]): void {
  let v = value;
  do {
    const low = Number(v & 127n);
    v >>= 7n;
    out.push(v ? low | 128 : low);
  } while (v);
}

/**
 * The 'varint' variant's rows (not SQL: DuckDB has no variable-width integer encoding): each flow's packets as one
 * BLOB of LEB128 pairs (offset gap, zigzagged time gap), from_a and fragment lists as they are. Dictionary
 * compression is off for it: the bench captures replay the corpus in rounds, so the same blob recurs every round,
 * which no real capture does.
 */
async function writeVarintRows(db: Database): Promise<void> {
  await db.run('CREATE TEMP TABLE packet_bytes (r BIGINT, packet_bytes BLOB)');
  const rows = await db.all('SELECT row_number() OVER () AS r, offset_deltas::VARCHAR AS o, ts_deltas::VARCHAR AS t FROM s.pcap.flow_packets');
  for (let from = 0; from < rows.length; from += 2000) {
    const values = rows.slice(from, from + 2000).map(r => {
      const offsets = (JSON.parse(String(r.o)) as number[]).map(BigInt);
      const times = (JSON.parse(String(r.t)) as number[]).map(BigInt);
      const bytes: number[] = [];
      for (let i = 0; i < offsets.length; i++) {
        varint(offsets[i] - (i ? offsets[i - 1] : 0n), bytes);
        const gap = times[i] - (i ? times[i - 1] : 0n);
        varint(gap < 0n ? (-gap << 1n) - 1n : gap << 1n, bytes);
      }
      return `(${r.r}, unhex('${Buffer.from(bytes).toString('hex')}'))`;
    });
    await db.run(`INSERT INTO packet_bytes VALUES ${values.join(', ')}`);
  }
  await db.run("SET disabled_compression_methods = 'dictionary,dict_fsst'");
}
const VARINT = `SELECT f.* EXCLUDE (r, ${derived}, offset_deltas, ts_deltas, community_key), (community_key >> 16)::USMALLINT AS community_key,
  b.packet_bytes FROM (SELECT row_number() OVER () AS r, * FROM s.pcap.flow_packets) f JOIN packet_bytes b USING (r) ORDER BY first_offset`;

const VARIANTS: [string, string, string][] = [
  ['now', 'as stored today', 'SELECT * FROM s.pcap.flow_packets'],
  ['no-community-id', 'community_id not stored (zeekCommunityIdSql)', 'SELECT * EXCLUDE (community_id) FROM s.pcap.flow_packets'],
  ['derived', '... and last_ts, packets not stored (from the lists)', `SELECT * EXCLUDE (${derived}) FROM s.pcap.flow_packets`],
  ['gaps', '... and offsets, times from the flow\'s packet before, rows by gap width',
    `${GAPS} SELECT * EXCLUDE (ts_deltas, offset_deltas) FROM g ${BY_GAP_WIDTH}`],
  ['struct', '... and one list of structs for the four per-packet values',
    `${GAPS} SELECT * EXCLUDE (ts_deltas, offset_deltas, ts_gaps, offset_gaps, from_a, fragment), ${STRUCT} FROM g ${BY_GAP_WIDTH}`],
  ['key16', '... and a 2-byte community_key',
    `${GAPS} SELECT * EXCLUDE (ts_deltas, offset_deltas, ts_gaps, offset_gaps, from_a, fragment, community_key),
      (community_key >> 16)::USMALLINT AS community_key, ${STRUCT} FROM g ${BY_GAP_WIDTH}`],
  ['varint', 'community_id, last_ts, packets not stored, 2-byte key, offset and time gaps as a LEB128 BLOB a flow (decoded outside SQL)', VARINT],
];

async function measure(index: string, dir: string, name: string, select: string): Promise<{ captureBytes: number; columns: string }> {
  const file = join(dir, `${name}.duckdb`);
  rmSync(file, { force: true });
  const db = await Database.open(file);
  try {
    await db.run(`ATTACH ${literal(index)} AS s (READ_ONLY)`);
    await db.run('CREATE SCHEMA pcap');
    await db.run('CREATE TABLE pcap.captures AS SELECT * FROM s.pcap.captures');
    if (name === 'varint') await writeVarintRows(db);
    await db.run(`CREATE TABLE pcap.flow_packets AS ${select}`);
    await db.run('CHECKPOINT');
    const captureBytes = Number((await db.all('SELECT sum(bytes) AS n FROM pcap.captures'))[0].n);
    const columns = await db.all(`WITH s AS (SELECT column_name, coalesce(lead(block_offset) OVER (PARTITION BY block_id ORDER BY block_offset),
        ${BLOCK}) - block_offset AS bytes FROM pragma_storage_info('pcap.flow_packets') WHERE block_id >= 0)
      SELECT column_name, sum(bytes)::BIGINT AS bytes FROM s GROUP BY ALL ORDER BY bytes DESC`);
    return { captureBytes, columns: columns.map(c => `${c.column_name} ${(Number(c.bytes) / 1e6).toFixed(2)}`).join(', ') };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const options = new Command('pcap-layout-sizes')
    .requiredOption('--db <file>', 'a database with a packet index')
    .option('--dir <dir>', 'where the variants are written (default: a temp directory, removed at the end)')
    .option('--only <names>', `variants, comma-separated (${VARIANTS.map(v => v[0]).join(', ')})`)
    .parse().opts<{ db: string; dir?: string; only?: string }>();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'pcap-layout-'));
  mkdirSync(dir, { recursive: true });
  const only = options.only?.split(',');
  try {
    for (const [name, what, select] of VARIANTS.filter(v => !only || only.includes(v[0]))) {
      const m = await measure(options.db, dir, name, select);
      const bytes = statSync(join(dir, `${name}.duckdb`)).size;
      process.stdout.write(`${name}: ${(bytes / 1e6).toFixed(2)} MB = ${(100 * bytes / m.captureBytes).toFixed(2)}% of the capture, ` +
        `${Math.round(bytes / BLOCK)} blocks (${what})\n  ${m.columns}\n`);
    }
    const db = await Database.open(options.db, { access_mode: 'read_only' });
    try {
      const start = process.hrtime.bigint();
      const [r] = await db.all(`SELECT count(*) AS flows, count(*) FILTER (WHERE ${zeekCommunityIdSql('proto', 'a_addr', 'a_port', 'b_addr', 'b_port')}
        <> community_id) AS differ FROM pcap.flow_packets`);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      process.stdout.write(`zeekCommunityIdSql over ${r.flows} flows: ${r.differ} differ from community_id, ${ms.toFixed(0)} ms ` +
        `(${(1000 * ms / Number(r.flows)).toFixed(1)} µs a flow)\n`);
    } finally {
      db.close();
    }
  } finally {
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => { process.stderr.write(`pcap-layout-sizes: ${(e as Error).message}\n`); process.exitCode = 1; });
