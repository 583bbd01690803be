// The captures of a spool that are complete: a file is taken once its size and
// modification time have stayed put for `settleMs` (seen at two looks that far
// apart) and no process holds it open for writing. A recorder that writes under
// another name (`.part`, `.tmp`, a dot file) and renames the capture into place
// is followed at once, as names that are not capture names are never listed.
import { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { listCaptureFiles } from '../pcap/capture-files';
import { openForWriting } from './open-for-writing';

interface Seen { size: number; mtimeMs: number; since: number }

export class SpoolWatch {
  private readonly seen = new Map<string, Seen>();
  /** Files handed out already, with the size and time they had. */
  private readonly taken = new Map<string, string>();

  private gone = false;

  constructor(private readonly dirs: string[], private readonly settleMs: number) {}

  /** Complete captures not handed out before (absolute paths), and the directories that could not be read. */
  async look(now = Date.now()): Promise<{ complete: string[]; unreadable: string[] }> {
    const { files, unreadable } = await listCaptureFiles(this.dirs);
    const settled: string[] = [];
    const present = new Set<string>();
    for (const f of files) {
      const file = resolve(f);
      present.add(file);
      let s: Stats;
      try {
        s = await stat(file);
      } catch {
        continue; // gone meanwhile
      }
      const key = `${s.size} ${s.mtimeMs}`;
      if (this.taken.get(file) === key) continue;
      const before = this.seen.get(file);
      if (!before || before.size !== s.size || before.mtimeMs !== s.mtimeMs) {
        this.seen.set(file, { size: s.size, mtimeMs: s.mtimeMs, since: now });
        if (this.settleMs > 0) continue;
      }
      if (now - (before?.since ?? now) >= this.settleMs) settled.push(file);
    }
    for (const file of [...this.seen.keys()]) {
      if (present.has(file)) continue;
      this.seen.delete(file);
      this.gone = true;
    }
    for (const file of [...this.taken.keys()]) {
      if (present.has(file)) continue;
      this.taken.delete(file);
      this.gone = true;
    }
    const writing = openForWriting(new Set(settled));
    const complete = settled.filter(f => !writing.has(f));
    for (const file of complete) {
      const s = this.seen.get(file)!;
      this.taken.set(file, `${s.size} ${s.mtimeMs}`);
    }
    return { complete, unreadable };
  }

  /** Whether a file listed before has left the spool since the last call. */
  vanished(): boolean {
    const gone = this.gone;
    this.gone = false;
    return gone;
  }

  /** Hands `file` out again at its next look (it could not be taken now). */
  retry(file: string): void {
    this.taken.delete(file);
  }
}
