import { SingleBar } from 'cli-progress';

const MiB = 1 << 20;

/** Progress in MiB of the captures read, as index and analyze show it. */
export interface ProgressBar {
  update(read: number, total: number, file: string): void;
  stop(): void;
}

/**
 * A bar on stderr only where someone watches: a terminal, or when asked for (--progress), never with --quiet.
 * `format` names {file} and whatever `more` gives for the bytes read so far.
 */
export function progressBar(format: string, options: { progress?: boolean; quiet?: boolean },
  more: (read: number) => Record<string, string> = () => ({})): ProgressBar {
  const bar = (options.progress ?? process.stderr.isTTY) && !options.quiet
    ? new SingleBar({ format, stream: process.stderr, hideCursor: true })
    : undefined;
  return {
    update(read, total, file) {
      if (!bar) return;
      const values = { file, ...more(read) };
      if (!bar.isActive) bar.start(Math.ceil(total / MiB), 0, values);
      bar.update(Math.floor(read / MiB), values);
    },
    stop: () => bar?.stop(),
  };
}
