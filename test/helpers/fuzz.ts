// Mutations of real inputs for fast-check: what fuzzers do to a seed (bit flips, bytes set, truncation,
// length fields set to extremes, tokens inserted, slices deleted or repeated), as shrinkable values.
import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extreme'; at: number; width: 1 | 2 | 4; value: number; littleEndian: boolean }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number };

/** Inputs grow no larger than this (a repeated slice stops there). */
const MAX_INPUT = 1 << 20;

/** Values a damaged length or count field likes to take. */
const EXTREMES = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Mutations; `tokens` are byte strings of the format (magic numbers, keywords) to insert. */
export function mutationArb(tokens: Uint8Array[] = []): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  const inserted = tokens.length
    ? fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.constantFrom(...tokens))
    : fc.uint8Array({ minLength: 1, maxLength: 16 });
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('byte' as const), at, value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({
      kind: fc.constant('extreme' as const), at, width: fc.constantFrom(1 as const, 2 as const, 4 as const),
      value: fc.constantFrom(...EXTREMES), littleEndian: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('insert' as const), at, bytes: inserted }),
    fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({
      kind: fc.constant('repeat' as const), at, length: fc.integer({ min: 1, max: 64 }),
      times: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1 << 15 })),
    }),
  );
}

/** The seed with the mutations applied in turn (positions wrap around the input's length). */
export function applyMutations(seed: Uint8Array, mutations: Mutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const m of mutations) {
    const at = m.at % (b.length + 1);
    switch (m.kind) {
      case 'flip': if (at < b.length) b[at] ^= 1 << m.bit; break;
      case 'byte': if (at < b.length) b[at] = m.value; break;
      case 'truncate': b = b.subarray(0, at); break;
      case 'extreme': {
        if (at + m.width > b.length) break;
        const v = m.value % 2 ** (8 * m.width);
        if (m.width === 1) b[at] = v;
        else if (m.width === 2) m.littleEndian ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at);
        else m.littleEndian ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at);
        break;
      }
      case 'insert': b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]); break;
      case 'delete': b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]); break;
      case 'repeat': {
        const slice = b.subarray(at, at + m.length);
        const times = Math.min(m.times, Math.floor((MAX_INPUT - b.length) / Math.max(1, slice.length)));
        if (times > 0 && slice.length) b = Buffer.concat([b.subarray(0, at), ...Array(times + 1).fill(slice), b.subarray(at + slice.length)]);
        break;
      }
    }
  }
  return b;
}

/** A seed (by index, so shrinking goes to the first) and up to `max` mutations of it. */
export function mutatedArb(seeds: Uint8Array[], tokens: Uint8Array[] = [], max = 6): fc.Arbitrary<{ seed: number; mutations: Mutation[] }> {
  return fc.record({
    seed: fc.integer({ min: 0, max: seeds.length - 1 }),
    mutations: fc.array(mutationArb(tokens), { maxLength: max }),
  });
}

/** Runs: FUZZ_RUNS in the environment, else the test's small default. */
export function fuzzRuns(defaultRuns: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : defaultRuns;
}

/** The seed of every run in the test suite, so that a failure is the same failure on every machine. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261201);

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** An input for a failure report: how it was made, and its bytes when they are few enough to read. */
export function shown(seed: string, mutations: Mutation[], bytes: Buffer, text = false): string {
  const made = JSON.stringify(mutations, (_, v) => (v instanceof Uint8Array ? hex(v) : v));
  const content = bytes.length <= 2048 ? (text ? JSON.stringify(bytes.toString('latin1')) : hex(bytes)) : '(too long to show)';
  return `${seed} with mutations ${made}: ${bytes.length} bytes ${content}`;
}
