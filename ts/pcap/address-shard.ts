// Which of n workers a packet goes to: a hash of its outermost IP address
// pair that is the same in both directions, so every packet one Zeek would put
// in a conn reaches one worker: both directions, IP fragments (no ports after
// the first), a tunnel with its inner flows, FTP data beside its control conn.
import { DecodedPacket } from './types';

/** The symmetric hash of a packet's outermost IP address pair; undefined without IP. */
function addressHash(packet: DecodedPacket): number | undefined {
  if (packet.count === 0) return undefined;
  const { src, dst } = packet.layers[0];
  let order = 0;
  for (let i = 0; i < src.length && order === 0; i++) order = src[i] - dst[i];
  const low = order <= 0 ? src : dst;
  const high = order <= 0 ? dst : src;
  // FNV-1a over the lower address, then the higher; then murmur3's finalizer, so that the low bits spread too.
  let h = 0x811c9dc5;
  for (let i = 0; i < low.length; i++) h = Math.imul(h ^ low[i], 0x01000193);
  for (let i = 0; i < high.length; i++) h = Math.imul(h ^ high[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The worker (0..n-1) of a decoded packet; packets without IP go to worker 0. */
export function addressShard(packet: DecodedPacket, n: number): number {
  if (n === 1) return 0;
  return (addressHash(packet) ?? 0) % n;
}

/**
 * The worker (0..workers-1) on host `host` (0..hosts-1) of a packet, or -1 when it is another host's: the hash
 * picks the host (hash mod hosts), then the worker there (the rest of it mod workers). Without IP: host 0, worker 0.
 * With one host it is addressShard().
 */
export function hostShard(packet: DecodedPacket, host: number, hosts: number, workers: number): number {
  const h = addressHash(packet) ?? 0;
  if (h % hosts !== host) return -1;
  return Math.floor(h / hosts) % workers;
}
