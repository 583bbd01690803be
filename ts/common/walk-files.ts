import { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface WalkOptions {
  /** Whether a file found in a directory is one to list (files named by the user always are). */
  wanted(name: string): boolean;
  /** Follow links found in directories (else they are passed over). */
  followLinks: boolean;
  /** A path that could not be looked at (`read`) or a directory that could not be listed (`list`); the walk goes on. */
  unreadable(path: string, doing: 'read' | 'list', error: unknown): void;
}

/**
 * The files the user named: each path given that is not a directory, whatever its name, and the wanted
 * files below each directory, walked depth first in name order (a stable order, whatever the file system's).
 */
export async function walkFiles(paths: string[], options: WalkOptions): Promise<string[]> {
  const files: string[] = [];
  const lookAt = async (path: string): Promise<Stats | undefined> => {
    try {
      return await stat(path);
    } catch (e) {
      options.unreadable(path, 'read', e);
      return undefined;
    }
  };
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      options.unreadable(dir, 'list', e);
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        if (!options.followLinks) continue;
        const target = await lookAt(path);
        if (!target) continue;
        isDirectory = target.isDirectory();
      }
      if (isDirectory) await walk(path);
      else if (options.wanted(entry.name)) files.push(path);
    }
  };
  for (const path of paths) {
    const found = await lookAt(path);
    if (found?.isDirectory()) await walk(path);
    else if (found) files.push(path);
  }
  return files;
}
