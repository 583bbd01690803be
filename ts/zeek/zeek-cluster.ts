// Zeek's own cluster, offline: a manager, a logger running the Arrow writer into
// one DuckDB file, a proxy, and N workers each reading a pcap stream on its
// stdin. The run ends when every worker has read its stream, sent its last log
// write and exited, and the logger has written every record. On one machine all
// nodes run here; across hosts each host starts its part of one layout.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CENTRAL_NODES, ClusterLayout, endpointSettings, layoutScript, workerName } from './cluster-layout';
import { Zeek } from './find-zeek';
import { mark } from '../common/run-timeline';
import { ZeekProcess, commandLineString, spawnZeek } from './zeek-process';

export interface NodeOptions {
  /** A directory of the run's own: the layout and each node's working directory go there. */
  work: string;
  /** The DuckDB file the logger writes. */
  db: string;
  scripts?: string[];
  ignoreChecksums?: boolean;
  /** Each node in a session of its own, so a terminal's Ctrl-C reaches zeek-arrow alone, which stops the nodes in
   * order (--follow, whose nodes watch zeek-arrow and end with it; a one-shot run keeps nothing when interrupted). */
  ownSessions?: boolean;
}

export interface ClusterOptions extends NodeOptions {
  workers: number;
}

/** The marker file the logger writes as workers finish (ZeekArrowCluster::done_path). */
const DONE_FILE = 'zeek_arrow_workers_done.log';
/** How long the logger may take to receive the last log writes of workers that have exited. */
const LAST_WRITES_TIMEOUT = 10 * 60_000;

/** A free TCP port on 127.0.0.1 (closed again at once: the node that listens on it opens it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Zeek's own script search path, with `dir` (where cluster-layout.zeek is) in front. */
function zeekPath(zeek: Zeek, dir: string): string {
  return `${dir}:${zeek.scriptPath}`;
}

function exitText(run: { status: number | null; signal: string | null; stderr: string }): string {
  const tail = run.stderr.trim().split('\n').slice(-5).join('\n  ');
  return `${run.signal ? `killed by ${run.signal}` : `exit ${run.status}`}${tail ? `:\n  ${tail}` : ''}`;
}

/** The arguments of one node; workers read `-r -`. */
function nodeArguments(role: 'worker' | 'other', options: Omit<NodeOptions, 'work'>, layout: ClusterLayout): string[] {
  return [
    ...(role === 'worker' ? [...(options.ignoreChecksums ? ['-C'] : []), '-r', '-'] : []),
    'ZeekArrow/Arrow/cluster-node',
    'policy/protocols/conn/community-id-logging',
    ...(options.scripts ?? []),
    'Log::default_writer=Log::WRITER_ARROW',
    commandLineString('LogArrow::db_path', options.db),
    ...endpointSettings(layout),
  ];
}

export class ZeekCluster {
  /** Rejects, naming the node, when one dies or exits before its time. */
  readonly failed: Promise<never>;
  private fail!: (e: Error) => void;
  private readonly nodes = new Map<string, ZeekProcess>();
  /** Nodes whose exit is expected now (zeek-arrow ended them, or their input). */
  private readonly ending = new Set<string>();
  private readonly doneFile: string;

  private constructor(options: NodeOptions, readonly layout: ClusterLayout,
    /** The workers that run here, in layout order. */
    private readonly localWorkers: string[]) {
    this.failed = new Promise<never>((_, reject) => { this.fail = reject; });
    this.failed.catch(() => undefined);
    this.doneFile = join(options.work, 'logger', DONE_FILE);
  }

  /** Starts manager, logger, proxy and the workers on 127.0.0.1. */
  static async start(zeek: Zeek, options: ClusterOptions): Promise<ZeekCluster> {
    const workers = Array.from({ length: options.workers }, (_, i) => ({ name: workerName(i), host: '127.0.0.1' }));
    const layout: ClusterLayout = { host: '127.0.0.1', workers, ports: { xpub: await freePort(), xsub: await freePort(), logs: await freePort() } };
    return ZeekCluster.launch(zeek, options, layout, [...CENTRAL_NODES, ...workers.map(w => w.name)]);
  }

  /** Starts the nodes `names` of `layout` here (manager, logger and proxy on one host, the workers of each host on theirs). */
  static launch(zeek: Zeek, options: NodeOptions, layout: ClusterLayout, names: string[]): ZeekCluster {
    const local = new Set(names);
    const cluster = new ZeekCluster(options, layout, layout.workers.map(w => w.name).filter(n => local.has(n)));
    writeFileSync(join(options.work, 'cluster-layout.zeek'), layoutScript(layout));
    const path = zeekPath(zeek, options.work);
    for (const name of names) {
      const cwd = join(options.work, name);
      mkdirSync(cwd, { recursive: true });
      const worker = !CENTRAL_NODES.includes(name);
      const node = spawnZeek(zeek, nodeArguments(worker ? 'worker' : 'other', options, layout), {
        cwd, stdin: worker, env: { CLUSTER_NODE: name, ZEEKPATH: path }, ownSession: options.ownSessions,
      });
      cluster.nodes.set(name, node);
      node.done.then(run => {
        mark(`${name} exited`);
        // A worker whose stream zeek-arrow has ended may end at once (one with little or nothing to read), before finish().
        const expected = cluster.ending.has(name) || (worker && node.stdin.writableEnded);
        if (!expected || run.status !== 0) cluster.fail(new Error(`Zeek cluster node ${name} ${run.status === 0 ? 'exited early' : 'died'} (${exitText(run)})`));
      }, e => cluster.fail(new Error(`Zeek cluster node ${name} could not start: ${(e as Error).message}`)));
    }
    return cluster;
  }

  /** Each local worker's stdin, where its pcap stream goes. */
  get workerInputs(): Writable[] {
    return this.localWorkers.map(name => this.nodes.get(name)!.stdin);
  }

  /** Process ids of every node (for tests: none may outlive the run). */
  get pids(): number[] {
    return [...this.nodes.values()].map(n => n.child.pid!).filter(Boolean);
  }

  /**
   * After the local workers' stdin has ended: waits for each to exit; where the logger runs, then waits for it to
   * have received the last log writes of every worker of the layout, and ends logger, proxy and manager in turn.
   */
  async finish(): Promise<void> {
    for (const name of this.localWorkers) this.ending.add(name);
    await this.race(Promise.all(this.localWorkers.map(name => this.nodes.get(name)!.done)));
    if (!this.nodes.has('logger')) return;
    await this.race(this.lastWrites(this.layout.workers.map(w => w.name)));
    mark('last writes in');
    // Proxy and manager end together (neither waits on the other); the logger goes last: what they log as they end
    // still reaches it.
    for (const names of [['proxy', 'manager'], ['logger']]) {
      await this.race(Promise.all(names.map(name => {
        this.ending.add(name);
        const node = this.nodes.get(name)!;
        node.child.kill('SIGTERM');
        return node.done;
      })));
    }
  }

  /** Ends every node at once (a failure, Ctrl-C): nothing of the run is kept. */
  async stop(): Promise<void> {
    for (const name of this.nodes.keys()) this.ending.add(name);
    for (const node of this.nodes.values()) if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
    await Promise.all([...this.nodes.values()].map(n => n.done.catch(() => undefined)));
  }

  private race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.failed]);
  }

  /** Resolves once the logger's marker file names every worker. */
  private async lastWrites(workers: string[]): Promise<void> {
    const until = Date.now() + LAST_WRITES_TIMEOUT;
    for (;;) {
      const text = existsSync(this.doneFile) ? readFileSync(this.doneFile, 'utf8') : '';
      // Whole lines only: the logger may be writing the last one.
      const done = new Set(text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map(line => String(JSON.parse(line).node)));
      const missing = workers.filter(w => !done.has(w));
      if (!missing.length) return;
      if (Date.now() > until) throw new Error(`the Zeek cluster's logger did not receive the last log writes of ${missing.join(', ')}`);
      await new Promise(r => setTimeout(r, 50));
    }
  }
}
