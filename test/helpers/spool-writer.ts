// A recorder stand-in for analyze --follow's tests, run as a process of its own:
// `node spool-writer.js <spool> <pace ms> <slow file name> <files...>` copies
// the files into the spool one by one, a pace apart; the one named slow is
// written in 4 KiB appends with the file held open, pausing half way for
// longer than the follower's settle time (only its open-for-writing check
// keeps the half file from being taken). With `--hold-after N <file>` before the
// files, it waits after the first N files until <file> exists (a test's kill
// then lands while the rest are still to come, however loaded the machine).
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function main(): Promise<void> {
  const [spool, pace, slow, ...rest] = process.argv.slice(2);
  const [holdAfter, release] = rest[0] === '--hold-after' ? [Number(rest[1]), rest[2]] : [Infinity, ''];
  const files = rest[0] === '--hold-after' ? rest.slice(3) : rest;
  for (const [n, file] of files.entries()) {
    if (n === holdAfter) while (!existsSync(release)) await sleep(50);
    const target = join(spool, basename(file));
    if (basename(file) !== slow) {
      copyFileSync(file, target);
    } else {
      const bytes = readFileSync(file);
      const fd = openSync(target, 'w');
      for (let at = 0; at < bytes.length; at += 4096) {
        writeSync(fd, bytes, at, Math.min(4096, bytes.length - at));
        await sleep(at >= bytes.length / 2 && at < bytes.length / 2 + 4096 ? 3000 : 5);
      }
      closeSync(fd);
    }
    await sleep(Number(pace));
  }
}

if (require.main === module) main().catch(e => { process.stderr.write(`${(e as Error).message}\n`); process.exitCode = 1; });
