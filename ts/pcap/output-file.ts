// Where extract writes: never over what it reads (the database, an indexed capture), and whole or not at all.
import { randomBytes } from 'node:crypto';
import { Stats } from 'node:fs';
import { FileHandle, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A file the output must not be: what it is, for the message. */
export interface Input { path: string; what: string }

/** The output, resolved: the file to replace, or a device or FIFO written in place. */
export interface Output { path: string; target: string; existing?: Stats }

const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

/**
 * Checks `out` is none of `inputs` by identity (device and inode: through symlinks, hard links and any spelling of
 * the path), and where the bytes go: through its symlinks to the file they name.
 */
export async function checkOutput(out: string, inputs: Input[]): Promise<Output> {
  const existing = await stat(out).catch(() => undefined);
  if (!existing) return { path: out, target: out }; // a new file is nothing that is read
  for (const input of inputs) {
    const s = await stat(input.path).catch(() => undefined);
    if (s && sameFile(s, existing)) {
      throw new Error(`refusing to write ${out}: it is ${input.what} ${input.path}, which extract reads`);
    }
  }
  // A pipe behind /dev/stdout has no path to resolve: it is written in place, as named.
  return { path: out, target: existing.isFile() ? await realpath(out) : out, existing };
}

/** Writes every chunk: writev() in one call (not one per record), the rest after a short write until it fails. */
async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const { bytesWritten } = await handle.writev(chunks);
  if (bytesWritten < total) await handle.writeFile(Buffer.concat(chunks).subarray(bytesWritten)); // a full disk or a size limit: its error
}

/**
 * Writes `chunks` to the output through a temporary file in its directory, renamed over it at the end: a failed
 * write leaves the old file as it was and no temporary file. A device or FIFO (/dev/stdout) is written in place.
 */
export async function writeOutput(output: Output, chunks: Buffer[]): Promise<void> {
  if (output.existing && !output.existing.isFile()) {
    const handle = await open(output.target, 'w');
    try {
      await writeAll(handle, chunks);
    } finally {
      await handle.close();
    }
    return;
  }
  const temporary = join(dirname(output.target), `.${basename(output.target)}.${randomBytes(6).toString('hex')}.part`);
  const handle = await open(temporary, 'wx').catch(e => { throw new Error(`cannot write ${output.path}: ${(e as Error).message}`); });
  try {
    try {
      if (output.existing) await handle.chmod(output.existing.mode & 0o7777);
      await writeAll(handle, chunks);
    } finally {
      await handle.close();
    }
    await rename(temporary, output.target);
  } catch (e) {
    await rm(temporary, { force: true });
    throw new Error(`cannot write ${output.path}: ${(e as Error).message}`);
  }
}
