// The layout of zeek-arrow's offline Zeek cluster: one manager (it runs the
// ZeroMQ publish/subscribe proxy), one logger (the Arrow writer), one proxy and
// N workers, written as Zeek's cluster-layout.zeek, plus the ZeroMQ endpoints
// every node is given on its command line.

export interface ClusterLayout {
  /** The address the manager and the logger listen on (every node must reach it). */
  host: string;
  /** Workers, named worker-1..worker-N. */
  workers: number;
  /** TCP ports on `host`: ZeroMQ's XPUB and XSUB (manager) and the logger's log PULL socket. */
  ports: { xpub: number; xsub: number; logs: number };
}

export type NodeRole = 'manager' | 'logger' | 'proxy' | 'worker';

export function workerName(i: number): string {
  return `worker-${i + 1}`;
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
    ...Array.from({ length: layout.workers }, (_, i) => `["${workerName(i)}"] = [$node_type=Cluster::WORKER, $ip=${ip}]`),
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
