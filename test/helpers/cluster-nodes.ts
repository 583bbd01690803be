// The Zeek cluster nodes a zeek-arrow command started, found in /proc: none may outlive the run.
import { readFileSync, readdirSync } from 'node:fs';

/** Processes whose parent is `pid`, with the CLUSTER_NODE they were given. */
export function nodesOf(pid: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== pid) continue;
      const node = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').find(v => v.startsWith('CLUSTER_NODE='));
      if (node) found.set(Number(entry), node.slice('CLUSTER_NODE='.length));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
