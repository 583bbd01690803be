// Which of n workers a packet goes to: a hash of its outermost IP address
// pair that is the same in both directions, so every packet one Zeek would put
// in a conn reaches one worker: both directions, IP fragments (no ports after
// the first), a tunnel with its inner flows, FTP data beside its control conn.
import { DecodedPacket } from './types';

/** The worker (0..n-1) of a decoded packet; packets without IP go to worker 0. */
export function addressShard(packet: DecodedPacket, n: number): number {
  if (n === 1 || packet.count === 0) return 0;
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
  return (h >>> 0) % n;
}
