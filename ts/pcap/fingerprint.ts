// A quick identity of a capture file: to pass over captures already indexed without reading them, and to see that
// one changed before its records are read back.
import { createHash } from 'node:crypto';
import { FileHandle, open } from 'node:fs/promises';

const FINGERPRINT_BYTES = 1 << 20;

/** The size and the SHA-256 of the first and last MiB (the table keeps the SHA-256 of all the bytes too). */
export async function fingerprint(file: string, size: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    return await fingerprintOf(handle, size);
  } finally {
    await handle.close();
  }
}

/** fingerprint() of a file open already. */
export async function fingerprintOf(handle: FileHandle, size: number): Promise<string> {
  const hash = createHash('sha256').update(String(size));
  const head = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
  await handle.read(head, 0, head.length, 0);
  hash.update(head);
  if (size > FINGERPRINT_BYTES) {
    const tail = Buffer.alloc(Math.min(size - FINGERPRINT_BYTES, FINGERPRINT_BYTES));
    await handle.read(tail, 0, tail.length, size - tail.length);
    hash.update(tail);
  }
  return hash.digest('hex');
}
