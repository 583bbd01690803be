import { systemReason } from '../system-error';
import { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Names a capture store uses; anything else in a directory is left alone. */
const CAPTURE_NAME = /\.(pcap|pcapng|cap|trace|dump)(\.gz)?$|\.gz$/i;


/** What a file that is not a regular file is, for a message (null: a regular file). */
export function notRegular(s: Stats | Dirent): string | null {
  if (s.isFile()) return null;
  return s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket' : s.isCharacterDevice() ? 'a character device'
    : s.isBlockDevice() ? 'a block device' : s.isDirectory() ? 'a directory' : 'not a file';
}

/**
 * The capture files named by the user: files as given (whatever their name),
 * directories walked for capture-like names, in a stable order. Paths and
 * directories that cannot be read are named with the system's reason; a FIFO
 * or device is listed like a file (indexing refuses it, naming it).
 */
export async function listCaptureFiles(paths: string[]): Promise<{ files: string[]; unreadable: string[] }> {
  const files: string[] = [];
  const unreadable: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      unreadable.push(`${dir}: cannot read: ${systemReason(e)}`); // the rest of the walk goes on
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (!entry.isSymbolicLink() && CAPTURE_NAME.test(entry.name)) files.push(path);
    }
  };
  for (const path of paths) {
    let s: Stats;
    try {
      s = await stat(path);
    } catch (e) {
      unreadable.push(`${path}: cannot read: ${systemReason(e)}`);
      continue;
    }
    if (s.isDirectory()) await walk(path);
    else files.push(path);
  }
  return { files, unreadable };
}
