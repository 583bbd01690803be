import { existsSync } from 'node:fs';
import { LOCK_WAIT_MS, openWhenFree } from '../duckdb/open-when-free';
import { extractSessions } from '../pcap/extract';

export async function extractCommand(options: { db: string; uid?: string[]; communityId?: string[]; where?: string; write: string }): Promise<void> {
  if (!options.uid?.length && !options.communityId?.length && !options.where) {
    throw new Error('say which sessions: --uid, --community-id or --where');
  }
  if (!existsSync(options.db)) throw new Error(`no database at '${options.db}'`);
  const db = await openWhenFree(options.db, { access_mode: 'read_only' }, LOCK_WAIT_MS);
  try {
    const started = process.hrtime.bigint();
    const summary = await extractSessions(db, { uids: options.uid, communityIds: options.communityId, where: options.where }, options.write);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stderr.write(`${options.write}: ${summary.packets} packets from ${summary.captures} capture${summary.captures === 1 ? '' : 's'} ` +
      `(${summary.format}, ${summary.bytes} bytes) in ${ms.toFixed(1)} ms\n`);
    const list = (items: string[]) => items.map(i => `'${i}'`).join(', ');
    if (summary.unknownUids.length) {
      process.stderr.write(`zeek-arrow: no conn with uid ${list(summary.unknownUids)} in ${options.db}\n`);
    }
    if (summary.unknownCommunityIds.length) {
      process.stderr.write(`zeek-arrow: no packets indexed of Community ID ${list(summary.unknownCommunityIds)} in ${options.db}\n`);
    }
    if (summary.packets === 0 || summary.unknownUids.length || summary.unknownCommunityIds.length) process.exitCode = 1;
  } finally {
    db.close();
  }
}
