// A flow's identity, the way Community ID v1 sees it (so one flow has one
// Community ID): the endpoints in a fixed order, ICMP types mapped to ports.
import { ICMP6_COUNTERPARTS, ICMP_COUNTERPARTS } from './community-id';
import { FlowLayer } from './types';
import { doubled } from '../common/doubled';

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

/** Longest key: protocol, two ports, two IPv6 addresses. */
const KEY_STRIDE = 40;

/**
 * Flows by their key bytes, in typed arrays: open addressing over entry numbers, each entry's key at a fixed
 * stride. No object, string or typed array per flow (a Map of buckets of key copies made the scavenger copy
 * tens of thousands of small objects and array buffers).
 */
export class FlowTable<T> {
  private readonly values: T[] = [];
  /** Per slot, its entry's number + 1; 0 is empty. Never more than half full. */
  private slots = new Int32Array(1 << 12);
  private keys = new Uint8Array(1024 * KEY_STRIDE);
  private lengths = new Uint8Array(1024);
  private hashes = new Int32Array(1024);

  get(t: FlowTuple): T | undefined {
    const slots = this.slots;
    const mask = slots.length - 1;
    const hash = t.hash;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const e = slots[s] - 1;
      if (e < 0) return undefined;
      if (this.hashes[e] === hash && this.sameKey(e, t)) return this.values[e];
    }
  }

  /** Adds a key get() did not find. */
  set(t: FlowTuple, value: T): void {
    const e = this.values.length;
    if (e === this.lengths.length) this.growEntries();
    this.values.push(value);
    this.hashes[e] = t.hash;
    this.lengths[e] = t.keyLength;
    this.keys.set(t.key.subarray(0, t.keyLength), e * KEY_STRIDE);
    if (2 * (e + 1) > this.slots.length) this.growSlots();
    else this.place(this.slots, e);
  }

  private sameKey(e: number, t: FlowTuple): boolean {
    const n = t.keyLength;
    if (this.lengths[e] !== n) return false;
    const keys = this.keys;
    const key = t.key;
    const at = e * KEY_STRIDE;
    for (let i = 0; i < n; i++) if (keys[at + i] !== key[i]) return false;
    return true;
  }

  private place(slots: Int32Array, e: number): void {
    const mask = slots.length - 1;
    let s = this.hashes[e] & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = e + 1;
  }

  private growEntries(): void {
    this.keys = doubled(this.keys);
    this.lengths = doubled(this.lengths);
    this.hashes = doubled(this.hashes);
  }

  private growSlots(): void {
    const slots = new Int32Array(this.slots.length * 2);
    for (let e = 0; e < this.values.length; e++) this.place(slots, e);
    this.slots = slots;
  }
}
