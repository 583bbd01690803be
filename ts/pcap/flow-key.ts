// A flow's identity, the way Community ID v1 sees it (so one flow has one
// Community ID): the endpoints in a fixed order, ICMP types mapped to ports.
import { ICMP6_COUNTERPARTS, ICMP_COUNTERPARTS } from './community-id';
import { FlowLayer } from './types';

export interface FlowTuple {
  /** Whether the packet's source is the flow's endpoint a. */
  fromA: boolean;
  aPort: number;
  bPort: number;
  /** The flow's name in bytes: protocol, ordered ports and endpoints (key[0..keyLength), reused). */
  key: Uint8Array;
  keyLength: number;
  /** FNV-1a of the key, for the flow table. */
  hash: number;
}

export function newFlowTuple(): FlowTuple {
  return { fromA: true, aPort: 0, bPort: 0, key: new Uint8Array(37), keyLength: 0, hash: 0 };
}

const ICMP = 1;
const TCP = 6;
const UDP = 17;
const ICMP6 = 58;

/** Whether Zeek keys connections of this IP protocol by ports; others (SCTP too) are conns with ports 0. */
export function zeekHasPorts(proto: number): boolean {
  return proto === TCP || proto === UDP || proto === ICMP || proto === ICMP6;
}

function compareBytes(x: Uint8Array, y: Uint8Array): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** The ordered tuple of a packet's layer; `out` is reused (no allocation). */
export function flowTuple(layer: FlowLayer, out: FlowTuple): FlowTuple {
  const ports = zeekHasPorts(layer.proto);
  let sport = ports ? layer.srcPort : 0;
  let dport = ports ? layer.dstPort : 0;
  let oneWay = false;
  if (layer.proto === ICMP || layer.proto === ICMP6) {
    const counterpart = (layer.proto === ICMP ? ICMP_COUNTERPARTS : ICMP6_COUNTERPARTS)[sport];
    if (counterpart === undefined) oneWay = true;
    else dport = counterpart;
  }
  const order = compareBytes(layer.src, layer.dst);
  const srcFirst = oneWay || order < 0 || (order === 0 && sport <= dport);
  const a = srcFirst ? layer.src : layer.dst;
  const b = srcFirst ? layer.dst : layer.src;
  out.fromA = srcFirst;
  out.aPort = srcFirst ? sport : dport;
  out.bPort = srcFirst ? dport : sport;
  const key = out.key;
  key[0] = layer.proto;
  key[1] = out.aPort >> 8;
  key[2] = out.aPort & 255;
  key[3] = out.bPort >> 8;
  key[4] = out.bPort & 255;
  let n = 5;
  for (let i = 0; i < a.length; i++) key[n++] = a[i];
  for (let i = 0; i < b.length; i++) key[n++] = b[i];
  out.keyLength = n;
  let hash = 0x811c9dc5;
  for (let i = 0; i < n; i++) hash = Math.imul(hash ^ key[i], 0x01000193);
  out.hash = hash & 0x3fffffff; // a small integer: Map lookups stay fast
  return out;
}

/** Flows by their key bytes, without a string per packet: buckets by hash, keys compared byte by byte. */
export class FlowTable<T> {
  private readonly buckets = new Map<number, { key: Uint8Array; value: T }[]>();

  get(t: FlowTuple): T | undefined {
    const bucket = this.buckets.get(t.hash);
    if (!bucket) return undefined;
    for (const entry of bucket) {
      const key = entry.key;
      if (key.length !== t.keyLength) continue;
      let same = true;
      for (let i = 0; i < key.length; i++) if (key[i] !== t.key[i]) { same = false; break; }
      if (same) return entry.value;
    }
    return undefined;
  }

  set(t: FlowTuple, value: T): void {
    const entry = { key: t.key.slice(0, t.keyLength), value };
    const bucket = this.buckets.get(t.hash);
    if (bucket) bucket.push(entry);
    else this.buckets.set(t.hash, [entry]);
  }
}
