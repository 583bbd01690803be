// How far analyze --follow is behind the newest complete capture: in capture
// time (the newest capture waiting against the newest packet analyzed) and in
// bytes of captures in the spool not analyzed yet; a warning when it keeps
// growing: the least bytes waiting over each of the last few windows of status
// lines grew from one window to the next (a run that keeps up comes back to
// nothing waiting after each commit; one falling behind never does).
const WINDOW = 5;
const WINDOWS = 3;

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export class LagMeter {
  private analyzedMicros = -Infinity;
  private analyzedBytes = 0;
  private waitingBytes = 0;
  private waitingCaptures = 0;
  private newestMicros: number | undefined;
  private history: number[] = [];

  analyzed(bytes: number, lastMicros: number): void {
    this.analyzedBytes += bytes;
    if (lastMicros > this.analyzedMicros) this.analyzedMicros = lastMicros;
  }

  /** The captures in the spool not analyzed yet. */
  waiting(bytes: number, captures: number): void {
    this.waitingBytes = bytes;
    this.waitingCaptures = captures;
  }

  /** The first packet's time of the newest complete capture waiting (undefined: none waits). */
  newest(firstMicros: number | undefined): void {
    this.newestMicros = firstMicros;
  }

  /** Seconds of capture time behind the newest complete capture waiting (0 when none waits). */
  get seconds(): number {
    if (this.newestMicros === undefined || !Number.isFinite(this.analyzedMicros)) return 0;
    return Math.max(0, (this.newestMicros - this.analyzedMicros) / 1e6);
  }

  status(captures: number): { status: string; warning?: string } {
    this.history = [...this.history, this.waitingBytes].slice(-WINDOW * WINDOWS);
    const status = `following: ${captures} captures analyzed (${mb(this.analyzedBytes)}); lag ${this.seconds.toFixed(1)} s of capture time, ` +
      `${mb(this.waitingBytes)} in ${this.waitingCaptures} captures waiting`;
    if (this.history.length < WINDOW * WINDOWS) return { status };
    const lows = Array.from({ length: WINDOWS }, (_, i) => Math.min(...this.history.slice(i * WINDOW, (i + 1) * WINDOW)));
    const growing = lows.every((low, i) => i === 0 || low > lows[i - 1]);
    return {
      status,
      warning: growing ? `warning: falling behind: the least waiting grew from ${mb(lows[0])} to ${mb(lows[WINDOWS - 1])} over the last ${WINDOW * WINDOWS} status lines` : undefined,
    };
  }
}
