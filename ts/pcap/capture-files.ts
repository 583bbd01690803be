import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Names a capture store uses; anything else in a directory is left alone. */
const CAPTURE_NAME = /\.(pcap|pcapng|cap|trace|dump)(\.gz)?$|\.gz$/i;

/**
 * The capture files named by the user: files as given (whatever their name),
 * directories walked for capture-like names, in a stable order.
 */
export async function listCaptureFiles(paths: string[]): Promise<{ files: string[]; missing: string[] }> {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && CAPTURE_NAME.test(entry.name)) files.push(path);
    }
  };
  for (const path of paths) {
    try {
      if ((await stat(path)).isDirectory()) await walk(path);
      else files.push(path);
    } catch {
      missing.push(path);
    }
  }
  return { files, missing };
}
