import { Writable } from 'node:stream';

/** Waits for `event` on a Zeek's stdin, or for the stream to fail or close (Zeek stopped reading). */
export function settled(out: Writable, event: 'drain' | 'finish'): Promise<void> {
  return new Promise(resolve => {
    const done = () => {
      for (const e of [event, 'error', 'close']) out.off(e, done);
      resolve();
    };
    for (const e of [event, 'error', 'close']) out.once(e, done);
  });
}
