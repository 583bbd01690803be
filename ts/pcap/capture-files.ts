import { systemReason } from '../common/system-error';
import { Dirent, Stats } from 'node:fs';
import { walkFiles } from '../common/walk-files';

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
  const unreadable: string[] = [];
  const files = await walkFiles(paths, {
    wanted: name => CAPTURE_NAME.test(name),
    followLinks: false,
    unreadable: (path, _doing, e) => { unreadable.push(`${path}: cannot read: ${systemReason(e)}`); },
  });
  return { files, unreadable };
}
