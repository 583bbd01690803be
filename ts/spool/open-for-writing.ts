// Which files some process holds open for writing, seen in /proc/<pid>/fd and
// fdinfo (a recorder still writing a capture). Processes of other users cannot
// be looked into: for those the size rule alone decides (README: Following a spool).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const O_ACCMODE = 0o3;

/** Those of `files` (absolute paths) open for writing (O_WRONLY or O_RDWR) in a process we may look into. */
export function openForWriting(files: Set<string>): Set<string> {
  const found = new Set<string>();
  if (!files.size) return found;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter(p => /^\d+$/.test(p));
  } catch {
    return found; // no /proc: the size rule alone
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's, or gone
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (!files.has(target)) continue;
        const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        if (flags && (parseInt(flags[1], 8) & O_ACCMODE) !== 0) found.add(target);
      } catch {
        // closed meanwhile
      }
    }
  }
  return found;
}
