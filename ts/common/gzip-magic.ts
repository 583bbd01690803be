import { FileHandle } from 'node:fs/promises';

/** Whether an open file starts with gzip's magic bytes (its content decides, not its name). */
export async function startsWithGzip(handle: FileHandle): Promise<boolean> {
  const magic = new Uint8Array(2);
  const { bytesRead } = await handle.read(magic, 0, 2, 0);
  return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}
