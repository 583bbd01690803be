// Comparing what analyze writes on a cluster with what one Zeek writes: the rows of the logs a cluster must
// write as one Zeek does, as sets of values with uid/fuid references left out, and which conn joins which packets.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Database } from '../../ts/duckdb/database';
import { ident, literal } from '../../ts/schema/mapping';
import { REPO } from './corpus';
import { difference } from './compare';

export const CLI = join(REPO, 'bin', 'zeek-arrow.js');

/** Runs `zeek-arrow analyze` in `dir` and waits for it. */
export function analyze(dir: string, db: string, ...args: string[]) {
  return spawnSync('node', [CLI, 'analyze', '--no-progress', ...args, '--db', db], { cwd: dir, encoding: 'utf8', timeout: 1_200_000 });
}

/** The logs a cluster must write as one Zeek does. */
export const COMPARED = ['conn', 'dns', 'http', 'ssl', 'files', 'x509'];

/** Logs a cluster legitimately writes differently, and why (not compared). */
export const CLUSTER_DIFFERS: Record<string, string> = {
  packet_filter: 'every worker logs its own packet filter as it starts: N rows, not one',
  reporter: "each node reports for itself, at its own network time (a worker's start-up messages N times)",
};

/** uid and fuid references: random per Zeek process, so not comparable between runs. */
function isReference(column: string): boolean {
  return /(^|\.)(uid|fuid|uids|fuids|tunnel_parents)$/.test(column) || /_(uid|fuid|uids|fuids)$/.test(column);
}

/** The rows of `log` in database `alias`, without its uid/fuid references. */
async function rowsWithoutReferences(db: Database, alias: string, log: string): Promise<string | undefined> {
  const columns = await db.all(`SELECT column_name FROM duckdb_columns() WHERE database_name = ${literal(alias)} AND schema_name = 'main'
    AND table_name = ${literal(log)} ORDER BY column_index`);
  if (!columns.length) return undefined;
  const kept = columns.map(c => String(c.column_name)).filter(c => !isReference(c));
  return `SELECT ${kept.map(ident).join(', ')} FROM ${alias}.main.${ident(log)}`;
}

/** Each conn (without its references) with the packets it joins: file and offset. */
async function connPackets(db: Database, alias: string): Promise<string> {
  const conn = await rowsWithoutReferences(db, alias, 'conn');
  const columns = conn!.slice('SELECT '.length, conn!.indexOf(' FROM '));
  return `SELECT c.* EXCLUDE (uid), p.file, p."offset" FROM ${alias}.main.conn_packets p JOIN (SELECT uid, ${columns} FROM ${alias}.main.conn) c USING (uid)`;
}

/** Differences (rows one has and the other lacks, both ways) between two analyzed databases, per log. */
export async function clusterDifferences(dir: string, one: string, other: string): Promise<Record<string, [number, number]>> {
  const db = await Database.open(join(dir, 'compare.duckdb'));
  try {
    await db.run(`ATTACH ${literal(join(dir, one))} AS one (READ_ONLY)`);
    await db.run(`ATTACH ${literal(join(dir, other))} AS other (READ_ONLY)`);
    const found: Record<string, [number, number]> = {};
    for (const log of COMPARED) {
      const a = await rowsWithoutReferences(db, 'one', log);
      const b = await rowsWithoutReferences(db, 'other', log);
      assert.equal(!!b, !!a, `${log} is in one database only`);
      if (a && b) found[log] = await difference(db, a, b);
    }
    found.conn_packets = await difference(db, await connPackets(db, 'one'), await connPackets(db, 'other'));
    return found;
  } finally {
    db.close();
  }
}

/** No differences in any of `logs`. */
export const same = (...logs: string[]) => Object.fromEntries(logs.map(l => [l, [0, 0]]));
export const SAME = same(...COMPARED, 'conn_packets');

/** Rows of conn and captures in the database (-1: no such table). */
export async function contents(file: string): Promise<{ conn: number; captures: number }> {
  const db = await Database.open(file);
  try {
    const count = async (table: string) => {
      const present = await db.all(`SELECT 1 FROM duckdb_tables() WHERE schema_name || '.' || table_name = '${table}'`);
      return present.length ? Number((await db.all(`SELECT count(*) AS n FROM ${table}`))[0].n) : -1;
    };
    return { conn: await count('main.conn'), captures: await count('pcap.captures') };
  } finally {
    db.close();
  }
}
