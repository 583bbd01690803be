// A scanned capture into the index tables: its row in pcap.captures and its
// flows' rows in pcap.flow_packets, in one transaction.
import { resolve } from 'node:path';
import { Database } from '../duckdb/database';
import { ArrowAppender } from '../duckdb/bridge';
import { literal } from '../schema/sql-text';
import { flowPacketsBatch } from './flow-batch';
import { PCAP, dropCaptures } from './index-tables';
import { ScannedCapture } from './scan-capture';

export interface NewRows {
  file: string;
  size: number;
  fingerprint: string;
  sha256: string;
  scanned: ScannedCapture;
  /** Captures this one replaces: the index had them at its path, with other content (it grew, or was replaced). */
  supersedes?: number[];
}

/** Adds the capture; returns the number of flows added. */
export async function addCapture(db: Database, { file, size, fingerprint, sha256, scanned, supersedes = [] }: NewRows): Promise<number> {
  const { info, flows, problems } = scanned;
  await db.transaction(async () => {
    await dropCaptures(db, supersedes);
    const id = Number((await db.all(`SELECT nextval('${PCAP}.capture_ids') AS id`))[0].id);
    const ts = (us: number) => Number.isFinite(us) ? `make_timestamptz(${us}::BIGINT)` : 'NULL';
    await db.run(`INSERT INTO ${PCAP}.captures VALUES (${id}, ${literal(resolve(file))}, ${literal(sha256)}, ${literal(fingerprint)},
      ${size}, ${info.gzip}, ${literal(info.format)}, [${info.linkTypes.join(', ')}]::USMALLINT[], ${info.nanosecond},
      ${info.littleEndian}, ${info.snaplen}, ${info.headerLength}, ${ts(scanned.firstMicros)}, ${ts(scanned.lastMicros)},
      ${scanned.packets}, [${problems.map(p => literal(`${p.offset}: ${p.message}`)).join(', ')}]::VARCHAR[], NULL,
      [${info.interfaces.map(i => `{link_type: ${i.linkType}, snaplen: ${i.snaplen}, tsresol: ${i.tsresol}, tsoffset: ${i.tsoffset}}`).join(', ')}],
      [${info.sections.map(x => `{'offset': ${x.offset}, 'first_interface': ${x.firstInterface}}`).join(', ')}], now(), NULL)`);
    if (flows.flows) {
      const batch = flowPacketsBatch(flows, id);
      // DuckDB's work off this thread (the reader's: it feeds the Zeek workers meanwhile).
      await new ArrowAppender(db.connection, 'flow_packets', batch.schema, PCAP).appendAndClose(batch);
    }
  });
  return flows.flows;
}
