// Where each flow's packets sit in one capture: built while the capture is
// read, then written as one row per flow (pcap.flow_packets). Packets go into
// capture-wide columns with the number of their flow, and are grouped by flow
// only at the end: a few large arrays, not several small ones per flow.
import { endianness } from 'node:os';
import { COMMUNITY_ID_LENGTH, zeekCommunityIdBytes } from './community-id';
import { renderAddress } from './address';
import { FlowTable, FlowTuple, flowTuple, newFlowTuple, zeekHasPorts } from './flow-key';
import { CaptureRecord, FlowLayer } from './types';
import { doubled } from '../common/doubled';

/** What a packet is to IP reassembly, as stored in flow_packets.fragment. */
export const FRAGMENT = {
  /** Not a fragment. */
  NONE: 0,
  /** The first fragment of a datagram that was reassembled: Zeek counts the datagram as this one packet. */
  FIRST: 1,
  /** A later fragment of a reassembled datagram: part of the packet above, not counted again. */
  LATER: 2,
  /** A fragment of a datagram whose fragments never all arrived: Zeek does not see it. */
  INCOMPLETE: 3,
} as const;

/** Packets per block of PacketColumns (2^16). */
const BLOCK_BITS = 16;
const BLOCK = 1 << BLOCK_BITS;
const IN_BLOCK = BLOCK - 1;

/**
 * Typed columns of the same length, one entry per packet of a flow, in blocks of BLOCK entries that never move:
 * growing by doubling copied every entry again and faulted in twice the memory (a tenth of the index's time).
 * Entry i is in block i >>> BLOCK_BITS at i & IN_BLOCK.
 */
class PacketColumns {
  length = 0;
  readonly offset: Float64Array[] = [];
  readonly micros: Float64Array[] = [];
  readonly flow: Uint32Array[] = [];
  readonly fromA: Uint8Array[] = [];
  readonly fragment: Uint8Array[] = [];
  /** The last block of each column, where push() writes. */
  private lastOffset = new Float64Array(0);
  private lastMicros = new Float64Array(0);
  private lastFlow = new Uint32Array(0);
  private lastFromA = new Uint8Array(0);
  private lastFragment = new Uint8Array(0);

  push(offset: number, micros: number, flow: number, fromA: boolean, fragment: number): number {
    const i = this.length++;
    const k = i & IN_BLOCK;
    if (k === 0) this.addBlock();
    this.lastOffset[k] = offset;
    this.lastMicros[k] = micros;
    this.lastFlow[k] = flow;
    this.lastFromA[k] = fromA ? 1 : 0;
    this.lastFragment[k] = fragment;
    return i;
  }

  private addBlock(): void {
    this.offset.push(this.lastOffset = new Float64Array(BLOCK));
    this.micros.push(this.lastMicros = new Float64Array(BLOCK));
    this.flow.push(this.lastFlow = new Uint32Array(BLOCK));
    this.fromA.push(this.lastFromA = new Uint8Array(BLOCK));
    this.fragment.push(this.lastFragment = new Uint8Array(BLOCK));
  }
}

/** One flow seen in the capture. */
interface Flow {
  id: number;
  proto: number;
  aPort: number;
  bPort: number;
  packets: number;
  /** Set when a fragment was added after later packets: its packets are put back in file order. */
  outOfOrder: boolean;
  /** Its packets' span in the file and in time (µs): they are stored as deltas from its start. */
  firstOffset: number;
  lastOffset: number;
  firstMicros: number;
  lastMicros: number;
}

interface LaterFragment {
  offset: number;
  micros: number;
}

/** Later fragments whose datagram's first fragment never came: no flow to put them in. */
export interface UnmatchedFragments {
  count: number;
  firstOffset: number;
}

/**
 * One IP datagram's fragments, until it is complete (its first and its last
 * fragment seen; Zeek reassembles it then, and its id may be reused after).
 */
class Datagram {
  /** The packets that stand or fall with the datagram: its fragments, and the inner layers of its first. */
  readonly members: number[] = [];
  /** Later fragments seen before the first: their flow is not known yet. */
  readonly waiting: LaterFragment[] = [];
  /** The flows of the first fragment's layers from the fragmented one inward: later fragments carry their bytes too. */
  readonly flows: { flow: Flow; fromA: boolean }[] = [];
  sawFirst = false;
  sawLast = false;

  constructor(readonly key: string) {}
}

/** A packet's time to the µs as Zeek logs it (rounded, not cut), so packets compare exactly with conn's ts. */
export function zeekMicros(record: Pick<CaptureRecord, 'micros' | 'nanos'>): number {
  return record.nanos >= 500 ? record.micros + 1 : record.micros;
}

/** Zeek reassembles by source, destination and id (not protocol: IPv6 headers after the fragment header differ). */
function fragmentKey(layer: FlowLayer): string {
  let key = String(layer.fragment!.id) + ':';
  for (let i = 0; i < layer.src.length; i++) key += String.fromCharCode(layer.src[i]);
  for (let i = 0; i < layer.dst.length; i++) key += String.fromCharCode(layer.dst[i]);
  return key;
}

const TCP = 6;
const UDP = 17;

/** Whether x (an address) equals y's x.length bytes from `at`. */
function sameBytes(x: Uint8Array, y: Uint8Array, at: number): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[at + i]) return false;
  return true;
}

/** Slots of FlowSegments' cache of flows (a power of 2). */
const CACHED = 256;

const TWO_32 = 4294967296;
const LITTLE_ENDIAN = endianness() === 'LE';

/** Whole number v as entry i of a 64-bit column seen as 32-bit halves, on a little-endian machine (no BigInt). */
function putInt64(halves: Uint32Array, i: number, v: number): void {
  const high = Math.floor(v / TWO_32);
  halves[2 * i] = v - high * TWO_32;
  halves[2 * i + 1] = high; // two's complement when negative
}

function int64Column<T extends BigInt64Array | BigUint64Array>(make: new (n: number) => T, values: Float64Array): T {
  const out = new make(values.length);
  const halves = new Uint32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (LITTLE_ENDIAN) putInt64(halves, i, values[i]);
    else out[i] = BigInt(values[i]) as never;
  }
  return out;
}

/** Bytes a flow's two addresses take in FlowSegments' table. */
const ADDRESS_PAIR = 32;

/** Decimal digits of a byte. */
const digits = (x: number) => (x >= 100 ? 3 : x >= 10 ? 2 : 1);

/**
 * One side's addresses (at `side` in each flow's pair) as text, row r being flow ids[r]'s: IPv4 written digit by
 * digit (no string per flow), IPv6 as renderAddress() writes it.
 */
function addressText(addresses: Uint8Array, lengths: Uint8Array, side: number, ids: Uint32Array): Utf8Parts {
  const n = ids.length;
  const valueOffsets = new Int32Array(n + 1);
  const ipv6 = new Array<string | undefined>(n);
  for (let r = 0; r < n; r++) {
    const at = ids[r] * ADDRESS_PAIR + side;
    let length: number;
    if (lengths[ids[r]] === 4) {
      length = digits(addresses[at]) + digits(addresses[at + 1]) + digits(addresses[at + 2]) + digits(addresses[at + 3]) + 3;
    } else {
      const text = renderAddress(addresses.subarray(at, at + 16));
      ipv6[r] = text;
      length = text.length;
    }
    valueOffsets[r + 1] = valueOffsets[r] + length;
  }
  const data = new Uint8Array(valueOffsets[n]);
  for (let r = 0; r < n; r++) {
    let o = valueOffsets[r];
    const text = ipv6[r];
    if (text !== undefined) {
      for (let i = 0; i < text.length; i++) data[o + i] = text.charCodeAt(i);
      continue;
    }
    const at = ids[r] * ADDRESS_PAIR + side;
    for (let i = 0; i < 4; i++) {
      let x = addresses[at + i];
      if (i) data[o++] = 0x2e; // "."
      if (x >= 100) { data[o++] = 0x30 + Math.floor(x / 100); x %= 100; data[o++] = 0x30 + Math.floor(x / 10); x %= 10; }
      else if (x >= 10) { data[o++] = 0x30 + Math.floor(x / 10); x %= 10; }
      data[o++] = 0x30 + x;
    }
  }
  return { valueOffsets, data };
}

/** A column of strings all `width` bytes long, row r being the id's bytes[ids[r] * width, (ids[r] + 1) * width). */
function fixedWidthColumn(bytes: Uint8Array, width: number, ids: Uint32Array): Utf8Parts {
  const n = ids.length;
  const valueOffsets = new Int32Array(n + 1);
  for (let r = 0; r < n; r++) valueOffsets[r + 1] = (r + 1) * width;
  const data = new Uint8Array(n * width);
  for (let r = 0; r < n; r++) {
    const from = ids[r] * width;
    const to = r * width;
    for (let i = 0; i < width; i++) data[to + i] = bytes[from + i];
  }
  return { valueOffsets, data };
}

/** A UTF-8 string column as Arrow lays it out: the strings' bytes and where each starts. */
export interface Utf8Parts {
  valueOffsets: Int32Array;
  data: Uint8Array;
}

/**
 * One capture's rows of pcap.flow_packets, column by column (typed arrays only, so they cross threads as they
 * are): per flow, its endpoints and counts; per packet, grouped by flow (flow f's are [starts[f], starts[f+1])).
 */
export interface FlowColumns {
  flows: number;
  packets: number;
  communityId: Utf8Parts;
  /** communityKey() of each Community ID. */
  communityKey: Uint32Array;
  proto: Uint8Array;
  aAddr: Utf8Parts;
  aPort: Uint16Array;
  bAddr: Utf8Parts;
  bPort: Uint16Array;
  /** µs, as 64-bit integers. */
  firstTs: BigInt64Array;
  lastTs: BigInt64Array;
  packetCounts: Uint32Array;
  /** The byte offset of each flow's first packet (its packets are in file order). */
  firstOffset: BigUint64Array;
  starts: Int32Array;
  /** Each packet's offset after its flow's first packet's. */
  offsetDeltas: BigUint64Array;
  /** Each packet's time after its flow's first_ts, µs. */
  tsDeltas: BigInt64Array;
  /** A bit per packet, Arrow's boolean layout. */
  fromA: Uint8Array;
  fragment: Uint8Array;
}

/** Collects a capture's packets by flow (one flow per IP layer with a transport, outer to inner). */
export class FlowSegments {
  private readonly flows: Flow[] = [];
  private readonly byTuple = new FlowTable<Flow>();
  private readonly columns = new PacketColumns();
  private readonly open = new Map<string, Datagram>();
  /** The datagrams the current packet is a first fragment of (a tunnel can nest them). */
  private readonly enclosing: Datagram[] = [];
  private readonly tuple: FlowTuple = newFlowTuple();
  /** Per flow id, its Community ID's ASCII bytes (COMMUNITY_ID_LENGTH each) and its communityKey(). */
  private communityIds = new Uint8Array(1024 * COMMUNITY_ID_LENGTH);
  private communityKeys = new Uint32Array(1024);
  /** Per flow id, its endpoints' addresses a and b (ADDRESS_PAIR bytes: a at 0, b at 16) and their length (4 or 16). */
  private addresses = new Uint8Array(1024 * ADDRESS_PAIR);
  private addressLengths = new Uint8Array(1024);
  /**
   * TCP and UDP flows looked up lately, by a hash of their raw tuple that is the same both ways (CACHED slots, the
   * last flow to land in a slot kept): per slot its flow's id + 1 (0: none), the raw tuple as a packet of the flow had
   * it, and whether that packet was from a. Most packets' flows are found here (the big capture's: 69% were of the
   * packet before's flow), without the key, its hash and the table's memory far apart.
   */
  private readonly cachedFlow = new Int32Array(CACHED);
  private readonly cachedProto = new Uint8Array(CACHED);
  private readonly cachedLength = new Uint8Array(CACHED);
  private readonly cachedPorts = new Uint16Array(2 * CACHED);
  private readonly cachedAddresses = new Uint8Array(ADDRESS_PAIR * CACHED);
  private readonly cachedFromA = new Uint8Array(CACHED);
  packets = 0;
  firstMicros = Infinity;
  lastMicros = -Infinity;

  add(record: CaptureRecord, layers: FlowLayer[], count: number): void {
    this.packets++;
    const micros = zeekMicros(record);
    if (micros < this.firstMicros) this.firstMicros = micros;
    if (micros > this.lastMicros) this.lastMicros = micros;
    const enclosing = this.enclosing;
    let datagrams = 0; // enclosing[0, datagrams) are this packet's (a counter: resetting an array's length is slow)
    for (let i = 0; i < count; i++) {
      const layer = layers[i];
      let datagram: Datagram | undefined;
      if (layer.fragment) {
        const key = fragmentKey(layer);
        datagram = this.open.get(key);
        if (!datagram) { datagram = new Datagram(key); this.open.set(key, datagram); }
        if (!layer.fragment.more) datagram.sawLast = true;
        if (!layer.hasTransport) {
          // A later fragment carries no ports: it belongs to the flow of its datagram's first fragment.
          this.addLater(datagram, { offset: record.offset, micros });
          this.settleIfComplete(datagram);
          continue;
        }
        datagram.sawFirst = true;
        enclosing[datagrams++] = datagram;
      }
      const flow = this.flowOf(layer);
      const index = this.addPacket(flow, record.offset, micros, this.tuple.fromA, datagrams ? FRAGMENT.FIRST : FRAGMENT.NONE);
      for (let j = 0; j < datagrams; j++) {
        enclosing[j].members.push(index);
        enclosing[j].flows.push({ flow, fromA: this.tuple.fromA });
      }
    }
    for (let j = 0; j < datagrams; j++) {
      const d = enclosing[j];
      for (const f of d.waiting.splice(0)) this.addLater(d, f);
      this.settleIfComplete(d);
    }
  }

  /** The layer's flow (made on first sight); leaves the packet's orientation in this.tuple. */
  private flowOf(layer: FlowLayer): Flow {
    const proto = layer.proto;
    if (proto !== TCP && proto !== UDP) return this.lookUp(layer);
    const src = layer.src;
    const dst = layer.dst;
    const n = src.length;
    const slot = (layer.srcPort ^ layer.dstPort ^ src[n - 1] ^ dst[n - 1] ^ ((src[n - 2] ^ dst[n - 2]) << 8)) & (CACHED - 1);
    const cached = this.cachedFlow[slot] - 1;
    const ports = this.cachedPorts;
    const addresses = this.cachedAddresses;
    const at = slot * ADDRESS_PAIR;
    if (cached >= 0 && this.cachedProto[slot] === proto && this.cachedLength[slot] === n) {
      // Either way (a tuple the same both ways is matched by the first test).
      if (layer.srcPort === ports[2 * slot] && layer.dstPort === ports[2 * slot + 1] && sameBytes(src, addresses, at) && sameBytes(dst, addresses, at + 16)) {
        this.tuple.fromA = this.cachedFromA[slot] === 1;
        return this.flows[cached];
      }
      if (layer.srcPort === ports[2 * slot + 1] && layer.dstPort === ports[2 * slot] && sameBytes(src, addresses, at + 16) && sameBytes(dst, addresses, at)) {
        this.tuple.fromA = this.cachedFromA[slot] !== 1;
        return this.flows[cached];
      }
    }
    const flow = this.lookUp(layer);
    this.cachedFlow[slot] = flow.id + 1;
    this.cachedProto[slot] = proto;
    this.cachedLength[slot] = n;
    ports[2 * slot] = layer.srcPort;
    ports[2 * slot + 1] = layer.dstPort;
    addresses.set(src, at);
    addresses.set(dst, at + 16);
    this.cachedFromA[slot] = this.tuple.fromA ? 1 : 0;
    return flow;
  }

  /** flowOf() by the flow table. */
  private lookUp(layer: FlowLayer): Flow {
    const t = flowTuple(layer, this.tuple);
    let flow = this.byTuple.get(t);
    if (!flow) {
      // The Community ID Zeek writes in conn.log for this flow (its port rules, its byte order quirk).
      const ports = zeekHasPorts(layer.proto);
      const id = this.flows.length;
      if (id === this.communityKeys.length) this.growPerFlow();
      this.addresses.set(t.fromA ? layer.src : layer.dst, id * ADDRESS_PAIR);
      this.addresses.set(t.fromA ? layer.dst : layer.src, id * ADDRESS_PAIR + 16);
      this.addressLengths[id] = layer.src.length;
      this.communityKeys[id] = zeekCommunityIdBytes(layer.proto, layer.src, layer.dst, ports ? layer.srcPort : 0, ports ? layer.dstPort : 0,
        this.communityIds, id * COMMUNITY_ID_LENGTH);
      flow = {
        id,
        proto: layer.proto,
        aPort: t.aPort,
        bPort: t.bPort,
        packets: 0,
        outOfOrder: false,
        firstOffset: Infinity,
        lastOffset: -1,
        firstMicros: Infinity,
        lastMicros: -Infinity,
      };
      this.flows.push(flow);
      this.byTuple.set(t, flow);
    }
    return flow;
  }

  private growPerFlow(): void {
    this.addresses = doubled(this.addresses);
    this.addressLengths = doubled(this.addressLengths);
    this.communityIds = doubled(this.communityIds);
    this.communityKeys = doubled(this.communityKeys);
  }

  private addPacket(flow: Flow, offset: number, micros: number, fromA: boolean, fragment: number): number {
    if (offset < flow.lastOffset) flow.outOfOrder = true;
    flow.lastOffset = Math.max(flow.lastOffset, offset);
    flow.firstOffset = Math.min(flow.firstOffset, offset);
    if (micros < flow.firstMicros) flow.firstMicros = micros;
    if (micros > flow.lastMicros) flow.lastMicros = micros;
    flow.packets++;
    return this.columns.push(offset, micros, flow.id, fromA, fragment);
  }

  private addLater(datagram: Datagram, f: LaterFragment): void {
    if (!datagram.flows.length) { datagram.waiting.push(f); return; }
    // A piece of the same datagram as the first fragment: it goes the same way in every flow.
    for (const { flow, fromA } of datagram.flows) {
      datagram.members.push(this.addPacket(flow, f.offset, f.micros, fromA, FRAGMENT.LATER));
    }
  }

  /** Marks a datagram's packets: counted as one packet when reassembled, else not at all. */
  private settle(datagram: Datagram, complete: boolean): void {
    const fragment = this.columns.fragment;
    for (const i of datagram.members) {
      const block = fragment[i >>> BLOCK_BITS];
      const k = i & IN_BLOCK;
      block[k] = !complete ? FRAGMENT.INCOMPLETE : block[k] === FRAGMENT.LATER ? FRAGMENT.LATER : FRAGMENT.FIRST;
    }
  }

  private settleIfComplete(datagram: Datagram): void {
    if (!datagram.sawFirst || !datagram.sawLast) return;
    // Zeek would have reassembled it by now (fragment gaps in between are not tracked).
    this.settle(datagram, true);
    this.open.delete(datagram.key);
  }

  /** Datagrams never completed: their fragments are indexed but Zeek never saw them. Returns later fragments with no flow. */
  private settleOpen(): UnmatchedFragments {
    const unmatched: UnmatchedFragments = { count: 0, firstOffset: Infinity };
    for (const d of this.open.values()) {
      this.settle(d, false);
      unmatched.count += d.waiting.length;
      for (const f of d.waiting) unmatched.firstOffset = Math.min(unmatched.firstOffset, f.offset);
    }
    this.open.clear();
    return unmatched;
  }

  /** The capture's rows for pcap.flow_packets as plain columns (they cross threads), and the later fragments that had no flow. */
  toColumns(): { columns: FlowColumns; unmatchedFragments: UnmatchedFragments } {
    const unmatchedFragments = this.settleOpen();
    const n = this.flows.length;
    const total = this.columns.length;
    // Each flow object read once, in the order they were made (near each other in memory): in the rows' order, each
    // read was a cache miss, ~30 ms a field for 64,113 flows.
    const proto = new Uint8Array(n);
    const aPort = new Uint16Array(n);
    const bPort = new Uint16Array(n);
    const packets = new Uint32Array(n);
    const firstOffset = new Float64Array(n);
    const lastOffset = new Float64Array(n);
    const first = new Float64Array(n);
    const last = new Float64Array(n);
    for (let f = 0; f < n; f++) {
      const flow = this.flows[f];
      proto[f] = flow.proto;
      aPort[f] = flow.aPort;
      bPort[f] = flow.bPort;
      packets[f] = flow.packets;
      firstOffset[f] = flow.firstOffset;
      lastOffset[f] = flow.lastOffset;
      first[f] = flow.firstMicros;
      last[f] = flow.lastMicros;
    }
    const ids = byDeltaWidth(firstOffset, lastOffset, first, last);
    // Where each flow's packets go in the rows' order: next[f] is where flow f's next packet goes.
    const starts = new Int32Array(n + 1);
    const next = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      next[ids[r]] = starts[r];
      starts[r + 1] = starts[r] + packets[ids[r]];
    }
    const c = this.columns;
    // One pass over the packets in file order, block by block (the capture's columns read in order), each written at
    // its flow's next place in the rows; a flow's packets come in file order (but those of a flow out of order).
    const offsetDeltas = new BigUint64Array(total);
    const tsDeltas = new BigInt64Array(total);
    const offsetHalves = new Uint32Array(offsetDeltas.buffer);
    const timeHalves = new Uint32Array(tsDeltas.buffer);
    const fragment = new Uint8Array(total);
    const fromA = new Uint8Array(Math.ceil(total / 8));
    for (let b = 0, i = 0; i < total; b++) {
      const offsets = c.offset[b];
      const micros = c.micros[b];
      const flows = c.flow[b];
      const fromAs = c.fromA[b];
      const fragments = c.fragment[b];
      const m = Math.min(BLOCK, total - i);
      for (let k = 0; k < m; k++) {
        const f = flows[k];
        const j = next[f]++;
        const offset = offsets[k] - firstOffset[f];
        const us = micros[k] - first[f];
        if (LITTLE_ENDIAN) {
          putInt64(offsetHalves, j, offset);
          putInt64(timeHalves, j, us);
        } else {
          offsetDeltas[j] = BigInt(offset);
          tsDeltas[j] = BigInt(us);
        }
        fragment[j] = fragments[k];
        if (fromAs[k]) fromA[j >> 3] |= 1 << (j & 7);
      }
      i += m;
    }
    for (const f of this.flows) {
      if (f.outOfOrder) inFileOrder(next[f.id] - f.packets, next[f.id], offsetDeltas, tsDeltas, fragment, fromA);
    }
    const inRows = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(byFlow: T): T => {
      const out = new (byFlow.constructor as new (n: number) => T)(n);
      for (let r = 0; r < n; r++) out[r] = byFlow[ids[r]];
      return out;
    };
    const addressColumn = (side: number) => addressText(this.addresses, this.addressLengths, side, ids);
    const columns: FlowColumns = {
      flows: n,
      packets: total,
      communityId: fixedWidthColumn(this.communityIds, COMMUNITY_ID_LENGTH, ids),
      communityKey: inRows(this.communityKeys.subarray(0, n)),
      proto: inRows(proto),
      aAddr: addressColumn(0),
      aPort: inRows(aPort),
      bAddr: addressColumn(16),
      bPort: inRows(bPort),
      firstTs: int64Column(BigInt64Array, inRows(first)),
      lastTs: int64Column(BigInt64Array, inRows(last)),
      packetCounts: inRows(packets),
      firstOffset: int64Column(BigUint64Array, inRows(firstOffset)),
      starts,
      offsetDeltas,
      tsDeltas,
      fromA,
      fragment,
    };
    return { columns, unmatchedFragments };
  }
}

/**
 * Rows [start, end) of a flow's packets put back in file order: a stable sort by offset (packets added in file order
 * but a fragment's added after later ones; rare, so BigInts here).
 */
function inFileOrder(start: number, end: number, offsetDeltas: BigUint64Array, tsDeltas: BigInt64Array, fragment: Uint8Array, fromA: Uint8Array): void {
  const rows = Array.from({ length: end - start }, (_, i) => start + i);
  rows.sort((x, y) => Number(offsetDeltas[x] - offsetDeltas[y]));
  const offsets = rows.map(r => offsetDeltas[r]);
  const times = rows.map(r => tsDeltas[r]);
  const fragments = rows.map(r => fragment[r]);
  const froms = rows.map(r => (fromA[r >> 3] >> (r & 7)) & 1);
  for (let i = 0; i < rows.length; i++) {
    const j = start + i;
    offsetDeltas[j] = offsets[i];
    tsDeltas[j] = times[i];
    fragment[j] = fragments[i];
    if (froms[i]) fromA[j >> 3] |= 1 << (j & 7);
    else fromA[j >> 3] &= ~(1 << (j & 7));
  }
}

/** Bits a whole number takes (0 for 0). */
function bitWidth(v: number): number {
  return v < 1 ? 0 : Math.floor(Math.log2(v)) + 1;
}

/**
 * Flow ids in the order their rows are stored: by the bits their largest time delta takes, then their largest offset
 * delta. DuckDB bitpacks a list's values 2048 at a time, each as wide as the widest: flows alike side by side keep
 * one long flow from widening the short ones around it (~375-byte packets: 4.9 bytes a packet for offset and time
 * together, 6.2 with the flows in file order, 6.3 as absolute values).
 */
function byDeltaWidth(firstOffset: Float64Array, lastOffset: Float64Array, first: Float64Array, last: Float64Array): Uint32Array {
  const n = firstOffset.length;
  const classes = new Uint16Array(n);
  const counts = new Int32Array(WIDTHS * WIDTHS + 1);
  for (let f = 0; f < n; f++) {
    classes[f] = bitWidth(last[f] - first[f]) * WIDTHS + bitWidth(lastOffset[f] - firstOffset[f]);
    counts[classes[f] + 1]++;
  }
  for (let c = 1; c < counts.length; c++) counts[c] += counts[c - 1];
  const ids = new Uint32Array(n);
  for (let f = 0; f < n; f++) ids[counts[classes[f]]++] = f;
  return ids;
}

/** Bit widths of a delta: 0 to 64. */
const WIDTHS = 65;
