// The line between the logger host and the worker hosts of a cluster spread
// over hosts: JSON lines over TCP. A worker host says which shard it reads and
// how many workers it runs; once every host has joined, the logger host sends
// each the cluster's layout and the captures to read (by fingerprint), and each
// says when its workers are done, or that it failed. A line that closes before
// its host said done is a host that died.
import { Server, Socket, connect, createServer } from 'node:net';
import type { ClusterLayout } from './cluster-layout';

export interface Hello { shard: number; of: number; workers: number }
/** A capture of the run: the logger host's path, and its fingerprint (how a host finds its own copy). */
export interface RunCapture { fingerprint: string; file: string }
export interface Start {
  layout: ClusterLayout;
  captures: RunCapture[];
  /** The logger host's --script and -C: every worker runs the same analysis. */
  scripts: string[];
  ignoreChecksums: boolean;
}

type Message = { hello: Hello } | { start: Start } | { done: true } | { failed: string } | { beat: true };

/** How often each end says it is there. */
const BEAT_MS = 2000;

/** `host:port`, an IPv6 address in brackets. */
export function parseHostPort(text: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new Error(`${what} takes <address>:<port> (say 10.0.0.1:47760), not ${JSON.stringify(text)}`);
  const host = m[1] ?? m[2];
  // Every node connects to the address the logger host listens on: "any address" names no host.
  if (/^(0\.0\.0\.0|::|0*:(0*:)*0*)$/.test(host)) throw new Error(`${what} takes the address the other hosts reach this one at, not ${host}`);
  return { host, port };
}

/** Calls `each` with every JSON line that arrives on `socket`. */
function readLines(socket: Socket, each: (m: Message) => void): void {
  let pending = '';
  socket.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      try {
        each(JSON.parse(line) as Message);
      } catch {
        socket.destroy(new Error(`not a zeek-arrow host line: ${JSON.stringify(line.slice(0, 80))}`));
      }
    }
  });
}

function send(socket: Socket, m: Message): void {
  if (!socket.destroyed) socket.write(JSON.stringify(m) + '\n');
}

/** Sends beats on `socket` and calls `silent` once nothing has come from the other end for `seconds`; returns a stop. */
function keepInTouch(socket: Socket, seconds: number, silent: () => void): () => void {
  let heard = Date.now();
  socket.on('data', () => { heard = Date.now(); });
  const timer = setInterval(() => {
    send(socket, { beat: true });
    if (Date.now() - heard > seconds * 1000) {
      clearInterval(timer);
      silent();
    }
  }, BEAT_MS);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
  return () => clearInterval(timer);
}

export interface JoinedHost extends Hello {
  /** The address the host connected from. */
  address: string;
  socket: Socket;
}

/** The logger host's end: waits for the worker hosts, starts them, and hears how they end. */
export class WorkerHosts {
  /** Rejects, naming the host, when one fails, refuses the run or leaves it before its workers are done. */
  readonly failed: Promise<never>;
  private fail!: (e: Error) => void;
  private readonly joined = new Map<number, JoinedHost>();
  private readonly finished = new Set<number>();
  private allJoined: (() => void) | undefined;
  private allDone: (() => void) | undefined;
  private ended = false;

  private constructor(private readonly server: Server, private readonly hosts: number, private readonly silence: number) {
    this.failed = new Promise<never>((_, reject) => { this.fail = reject; });
    this.failed.catch(() => undefined);
    server.on('connection', socket => this.accept(socket));
  }

  /** Listens on `host:port` for `hosts` worker hosts; one silent for `silence` seconds has failed. */
  static listen(host: string, port: number, hosts: number, silence: number): Promise<WorkerHosts> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', e => reject(new Error(`cannot listen for worker hosts on ${host}:${port}: ${e.message}`)));
      server.listen(port, host, () => resolve(new WorkerHosts(server, hosts, silence)));
    });
  }

  private name(shard: number): string {
    const h = this.joined.get(shard);
    return `worker host ${shard}/${this.hosts}${h ? ` (${h.address})` : ''}`;
  }

  private accept(socket: Socket): void {
    socket.setKeepAlive(true, 10_000);
    let shard: number | undefined;
    readLines(socket, m => {
      if ('hello' in m) {
        const { shard: i, of, workers } = m.hello;
        const refuse = of !== this.hosts ? `it reads shard ${i}/${of}, but this run has ${this.hosts} worker hosts`
          : !(Number.isInteger(i) && i >= 1 && i <= of) ? `its shard ${i}/${of} is not one of 1..${of}`
            : this.joined.has(i) ? `shard ${i}/${of} has joined already from ${this.joined.get(i)!.address}`
              : !(Number.isInteger(workers) && workers >= 1) ? `it runs ${workers} workers` : '';
        if (refuse) {
          send(socket, { failed: `refused: ${refuse}` });
          socket.end();
          this.fail(new Error(`a worker host from ${socket.remoteAddress} was refused: ${refuse}`));
          return;
        }
        shard = i;
        this.joined.set(i, { ...m.hello, address: socket.remoteAddress ?? '?', socket });
        keepInTouch(socket, this.silence, () => {
          if (!this.finished.has(i) && !this.ended) this.fail(new Error(`${this.name(i)} fell silent: nothing from it for ${this.silence} s`));
        });
        if (this.joined.size === this.hosts) this.allJoined?.();
      } else if ('done' in m && shard !== undefined) {
        this.finished.add(shard);
        if (this.finished.size === this.hosts) this.allDone?.();
      } else if ('failed' in m && shard !== undefined) {
        this.fail(new Error(`${this.name(shard)} failed: ${m.failed}`));
      }
      // A beat only shows the host is there.
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (shard !== undefined && !this.finished.has(shard) && !this.ended) {
        this.fail(new Error(`${this.name(shard)} left the run before its workers were done (the host or its zeek-arrow died)`));
      }
    });
  }

  /** Resolves with every host once all have joined; rejects naming those that did not within `seconds`. */
  async join(seconds: number, signal: AbortSignal): Promise<JoinedHost[]> {
    if (this.joined.size < this.hosts) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>(resolve => { this.allJoined = resolve; }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const missing = Array.from({ length: this.hosts }, (_, i) => i + 1).filter(i => !this.joined.has(i));
            reject(new Error(`${missing.map(i => `worker host ${i}/${this.hosts}`).join(', ')} did not join within ${seconds} s`));
          }, seconds * 1000);
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
        this.failed,
      ]).finally(() => clearTimeout(timer));
    }
    return [...this.joined.values()].sort((a, b) => a.shard - b.shard);
  }

  /** Sends every host the layout and the captures to read. */
  start(start: Start): void {
    for (const h of this.joined.values()) send(h.socket, { start });
  }

  /** Resolves once every host has said its workers are done. */
  done(): Promise<void> {
    if (this.finished.size === this.hosts) return Promise.resolve();
    return Promise.race([new Promise<void>(resolve => { this.allDone = resolve; }), this.failed]);
  }

  /** Ends the line to every host, telling each whether the run was kept; with `failure`, they stop their nodes and fail too. */
  close(failure?: string): Promise<void> {
    this.ended = true;
    for (const h of this.joined.values()) {
      send(h.socket, failure ? { failed: failure } : { done: true });
      h.socket.end();
    }
    return new Promise(resolve => {
      this.server.close(() => resolve());
      // Hosts that do not close their end are cut off.
      setTimeout(() => { for (const h of this.joined.values()) h.socket.destroy(); }, 2000).unref();
    });
  }
}

/** A worker host's end: joins the logger host and hears the start, or that the run failed. */
export class LoggerLink {
  /** Rejects when the logger host ends the run or the line to it breaks before it said how the run ended. */
  readonly ended: Promise<never>;
  readonly started: Promise<Start>;
  /** Resolves when the logger host says the run is complete. */
  private readonly kept: Promise<void>;
  private decided = false;
  private readonly quiet: () => void;

  private constructor(private readonly socket: Socket, where: string, silence: number) {
    let started!: (s: Start) => void;
    let kept!: () => void;
    let end!: (e: Error) => void;
    this.started = new Promise<Start>(resolve => { started = resolve; });
    this.kept = new Promise<void>(resolve => { kept = resolve; });
    this.ended = new Promise<never>((_, reject) => {
      end = reject;
      readLines(socket, m => {
        if ('start' in m) started(m.start);
        else if ('done' in m) {
          this.decided = true;
          kept();
        } else if ('failed' in m) reject(new Error(`the logger host ${where} ended the run: ${m.failed}`));
      });
      socket.on('error', () => undefined);
      socket.on('close', () => { if (!this.decided) reject(new Error(`the line to the logger host ${where} broke`)); });
    });
    this.quiet = keepInTouch(socket, silence, () => {
      if (this.decided) return;
      end(new Error(`the logger host ${where} fell silent: nothing from it for ${silence} s`));
      socket.destroy();
    });
    this.ended.catch(() => undefined);
  }

  /**
   * Connects to the logger host (trying again until `seconds` have passed: it may start later) and says hello;
   * the line counts as broken once the logger host is silent for `seconds`.
   */
  static async join(host: string, port: number, hello: Hello, seconds: number, signal: AbortSignal): Promise<LoggerLink> {
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const until = Date.now() + seconds * 1000;
    for (;;) {
      signal.throwIfAborted();
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect({ host, port }, () => resolve(s));
          s.once('error', reject);
        });
        socket.setKeepAlive(true, 10_000);
        const link = new LoggerLink(socket, where, seconds);
        send(socket, { hello });
        return link;
      } catch (e) {
        if (Date.now() > until) throw new Error(`cannot join the logger host ${where} within ${seconds} s: ${(e as Error).message}`);
        await new Promise(r => setTimeout(r, 500));
      }
    }
  }

  /**
   * Tells the logger host this host's workers are done and waits for its word on the whole run (a host that
   * finished its share while another failed fails too); with `failure`, says so and closes the line.
   */
  async finish(failure?: string): Promise<void> {
    if (failure !== undefined) {
      this.decided = true;
      this.quiet();
      send(this.socket, { failed: failure });
      if (this.socket.destroyed) return;
      return new Promise(resolve => this.socket.end(() => resolve()));
    }
    send(this.socket, { done: true });
    try {
      await Promise.race([this.kept, this.ended]);
    } finally {
      this.quiet();
    }
    if (!this.socket.destroyed) await new Promise<void>(resolve => this.socket.end(() => resolve()));
  }
}
