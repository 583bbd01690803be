// A short seeded fuzz run of every parser of outside bytes (scripts/fuzz.ts runs them longer): corpus captures,
// packets and logs, mutated by fast-check. FUZZ_RUNS sets the runs per target, FUZZ_SEED the seed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { FUZZ_SEED, fuzzRuns } from './helpers/fuzz';
import { FuzzTarget, captureTarget, decodeTarget, ingestTarget, logTextTarget } from './helpers/fuzz-targets';

async function fuzz<T>(target: FuzzTarget<T>, runs: number): Promise<void> {
  await fc.assert(fc.asyncProperty(target.arb, input => target.check(input)), {
    seed: FUZZ_SEED, numRuns: fuzzRuns(runs),
    reporter: details => {
      if (details.failed) {
        throw new Error(`${target.name}: ${details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance}\n` +
          `after ${details.numRuns} runs (seed ${details.seed}, path ${details.counterexamplePath}); shrunk input: ${target.show(details.counterexample![0])}`);
      }
    },
  });
}

describe('fuzz: parsers of outside bytes keep their promises on mutated corpus inputs', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'zeek-arrow-test-fuzz-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('capture reader (pcap both byte orders, µs and ns, pcapng, gzip): records and problems inside the file, only CaptureFormatError thrown', async () => {
    await fuzz(await captureTarget(dir), 150);
  });

  it('packet decoder: any bytes behind every link type decode or name a problem, nothing read outside the packet', async () => {
    await fuzz(await decodeTarget(), 1500);
  });

  it('TSV logs: scan, header parser and line check name the file and line, nothing else thrown', async () => {
    await fuzz(logTextTarget(dir, 'tsv'), 150);
  });

  it('JSON logs: scan and line check', async () => {
    await fuzz(logTextTarget(dir, 'json'), 150);
  });

  for (const format of ['tsv', 'json'] as const) {
    it(`${format.toUpperCase()} log ingest into DuckDB: resolves, every problem names the file and a line and byte inside it`, async () => {
      const target = ingestTarget(dir, format);
      try {
        await fuzz(target, 15);
      } finally {
        target.close();
      }
    });
  }
});
