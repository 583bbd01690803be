// A writable stream over the write end of a pipe (a Zeek's stdin), and which
// descriptor it is: the feed hands that descriptor to its writer thread.
import { Socket } from 'node:net';
import { Writable } from 'node:stream';

const descriptors = new WeakMap<Writable, number>();

/** A stream writing to the pipe descriptor `fd`; it owns the descriptor from now on. */
export function pipeStream(fd: number): Writable {
  const stream = new Socket({ fd, readable: false, writable: true });
  descriptors.set(stream, fd);
  return stream;
}

/** The pipe descriptor under a stream made by pipeStream(), or undefined for any other stream. */
export function pipeDescriptor(stream: Writable): number | undefined {
  return descriptors.get(stream);
}
