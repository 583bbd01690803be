// Per-entry typed arrays that grow as a capture is read (flows, flow keys, a parse buffer) grow by doubling.

type Growable = Uint8Array | Uint32Array | Int32Array;

/** A typed array of the same kind and twice the length, holding `array`'s entries first. */
export function doubled<T extends Growable>(array: T): T {
  const grown = new (array.constructor as new (length: number) => T)(array.length * 2);
  grown.set(array);
  return grown;
}
