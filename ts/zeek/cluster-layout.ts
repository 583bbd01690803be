// The layout of zeek-arrow's offline Zeek cluster: one manager (it runs the
// ZeroMQ publish/subscribe proxy), one logger (the Arrow writer), one proxy and
// the workers, written as Zeek's cluster-layout.zeek, plus the ZeroMQ endpoints
// every node is given on its command line. Across hosts every node is given the
// same layout: the workers of every host, each under a name of its own.

export interface ClusterLayout {
  /** The address the manager and the logger listen on (every node must reach it). */
  host: string;
  /** Every worker of the cluster, with the address of its host. */
  workers: { name: string; host: string }[];
  /** TCP ports on `host`: ZeroMQ's XPUB and XSUB (manager) and the logger's log PULL socket. */
  ports: { xpub: number; xsub: number; logs: number };
}

export type NodeRole = 'manager' | 'logger' | 'proxy' | 'worker';

/** The nodes that are not workers, which run on one host. */
export const CENTRAL_NODES = ['manager', 'logger', 'proxy'];

/** The name of worker i (from 0) on one machine: worker-1..worker-N. */
export function workerName(i: number): string {
  return `worker-${i + 1}`;
}

/** The name of worker i (from 0) of the host of shard `shard` (from 1) across hosts: worker-<shard>-<i+1>. */
export function hostWorkerName(shard: number, i: number): string {
  return `worker-${shard}-${i + 1}`;
}

/** A Zeek address literal: IPv6 in brackets. */
function zeekAddress(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** ZeroMQ's form of host:port. */
function endpoint(host: string, port: number): string {
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** cluster-layout.zeek: Cluster::nodes for the whole cluster. */
export function layoutScript(layout: ClusterLayout): string {
  const ip = zeekAddress(layout.host);
  const nodes = [
    `["manager"] = [$node_type=Cluster::MANAGER, $ip=${ip}]`,
    `["logger"] = [$node_type=Cluster::LOGGER, $ip=${ip}, $p=${layout.ports.logs}/tcp]`,
    `["proxy"] = [$node_type=Cluster::PROXY, $ip=${ip}]`,
    ...layout.workers.map(w => `["${w.name}"] = [$node_type=Cluster::WORKER, $ip=${zeekAddress(w.host)}]`),
  ];
  return `# zeek-arrow analyze's cluster\nredef Cluster::manager_is_logger = F;\nredef Cluster::nodes = {\n\t${nodes.join(',\n\t')},\n};\n`;
}

/** Command-line settings of the ZeroMQ endpoints (they must follow the backend's script, so not in the layout). */
export function endpointSettings(layout: ClusterLayout): string[] {
  const { host, ports } = layout;
  const z = 'Cluster::Backend::ZeroMQ::';
  return [
    `${z}listen_xpub_endpoint=${endpoint(host, ports.xpub)}`,
    `${z}listen_xsub_endpoint=${endpoint(host, ports.xsub)}`,
    // A node publishes into the proxy's XSUB and subscribes at its XPUB.
    `${z}connect_xpub_endpoint=${endpoint(host, ports.xsub)}`,
    `${z}connect_xsub_endpoint=${endpoint(host, ports.xpub)}`,
  ];
}
