// The long fuzz run: every target of the fuzz test (capture reader, packet decoder, TSV/JSON log header and line
// checks, TSV/JSON ingest), each for --seconds, in batches of fresh seeds. Prints executions, seconds and failures
// per target, and each failure's shrunk input (make it a regression test). Exits non-zero when anything failed.
//   node dist/scripts/fuzz.js [--seconds 60] [--only decoder ...] [--seed 1]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import fc from 'fast-check';
import { FuzzTarget, captureTarget, decodeTarget, ingestTarget, logTextTarget } from '../test/helpers/fuzz-targets';

interface Tally { name: string; executions: number; seconds: number; failures: string[] }

async function run<T>(target: FuzzTarget<T>, seconds: number, firstSeed: number): Promise<Tally> {
  const tally: Tally = { name: target.name, executions: 0, seconds: 0, failures: [] };
  const started = Date.now();
  const seen = new Set<string>();
  for (let seed = firstSeed; Date.now() - started < seconds * 1000; seed++) {
    const details = await fc.check(fc.asyncProperty(target.arb, input => target.check(input)), {
      seed, numRuns: 200, interruptAfterTimeLimit: Math.max(1000, seconds * 1000 - (Date.now() - started)),
    });
    tally.executions += details.numRuns + details.numShrinks;
    if (details.failed && details.counterexample) {
      const message = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      // One line per kind of failure: the message without the numbers that differ between inputs.
      const kind = message.split('\n')[0].replace(/\d+/g, 'N');
      if (!seen.has(kind)) {
        seen.add(kind);
        tally.failures.push(`${message.split('\n')[0]}\n      seed ${seed}, path ${details.counterexamplePath}\n      input: ${target.show(details.counterexample[0])}`);
      }
    }
  }
  tally.seconds = (Date.now() - started) / 1000;
  return tally;
}

async function main(): Promise<void> {
  const options = new Command('fuzz')
    .option('--seconds <n>', 'seconds per target', v => Number(v), 60)
    .option('--only <names...>', 'targets whose name contains one of these')
    .option('--seed <n>', 'first seed', v => Number(v), Date.now() % 1_000_000)
    .parse().opts<{ seconds: number; only?: string[]; seed: number }>();
  const dir = mkdtempSync(join(tmpdir(), 'zeek-arrow-fuzz-'));
  const tallies: Tally[] = [];
  try {
    const ingest = [ingestTarget(dir, 'tsv'), ingestTarget(dir, 'json')];
    const targets: FuzzTarget<any>[] = [await captureTarget(dir), await decodeTarget(), logTextTarget(dir, 'tsv'), logTextTarget(dir, 'json'), ...ingest];
    for (const target of targets) {
      if (options.only && !options.only.some(o => target.name.toLowerCase().includes(o.toLowerCase()))) continue;
      process.stdout.write(`${target.name}: ${options.seconds} s from seed ${options.seed} ...\n`);
      const tally = await run(target, options.seconds, options.seed);
      tallies.push(tally);
      for (const f of tally.failures) process.stdout.write(`  FAIL ${f}\n`);
    }
    for (const t of ingest) t.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write('\ntarget\texecutions\tseconds\texec/s\tfailures\n');
  for (const t of tallies) {
    process.stdout.write(`${t.name}\t${t.executions}\t${t.seconds.toFixed(0)}\t${(t.executions / t.seconds).toFixed(0)}\t${t.failures.length}\n`);
  }
  const total = tallies.reduce((a, t) => ({ e: a.e + t.executions, s: a.s + t.seconds, f: a.f + t.failures.length }), { e: 0, s: 0, f: 0 });
  process.stdout.write(`all\t${total.e}\t${total.s.toFixed(0)}\t${(total.e / total.s).toFixed(0)}\t${total.f}\n`);
  process.exitCode = total.f ? 1 : 0;
}

main().catch(e => {
  process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
  process.exit(2);
});
