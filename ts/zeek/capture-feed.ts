// One pcap stream made of several pcap files, for Zeek to read from its stdin:
// the first file's header (snaplen raised to libpcap's largest), then every
// file's records in turn. Zeek then sees sessions that cross files whole, and
// the bytes come from the same read that indexes the files.
import { Writable } from 'node:stream';
import { PCAP_HEADER, widenSnaplen } from '../pcap/capture-writer';
import { settled } from './stream-settled';

export class CaptureFeed {
  private file: string | undefined;
  /** Header bytes of the current file still to leave out. */
  private skip = 0;
  private first = true;
  private broken: Error | undefined;

  constructor(private readonly out: Writable) {
    // Zeek may stop reading (it failed): the files are still indexed, and the error is reported.
    out.on('error', e => { this.broken ??= e; });
  }

  /** Why Zeek stopped taking the stream, if it did. */
  get failure(): Error | undefined {
    return this.broken;
  }

  /** Bytes of `file`, in order; the stream waits for Zeek. */
  async write(file: string, chunk: Uint8Array, littleEndian: boolean): Promise<void> {
    if (file !== this.file) {
      this.file = file;
      this.skip = this.first ? 0 : PCAP_HEADER;
    }
    let bytes = Buffer.from(chunk); // the reader reuses its buffer
    if (this.skip) {
      const cut = Math.min(this.skip, bytes.length);
      bytes = bytes.subarray(cut);
      this.skip -= cut;
    }
    if (this.first && bytes.length >= PCAP_HEADER) {
      widenSnaplen(bytes, littleEndian);
      this.first = false;
    }
    if (!bytes.length || this.broken) return;
    if (!this.out.write(bytes)) await settled(this.out, 'drain');
  }

  async end(): Promise<void> {
    if (this.broken || this.out.writableEnded) return;
    this.out.end();
    await settled(this.out, 'finish');
  }
}
