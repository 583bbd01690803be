// Where each flow's packets sit in one capture: built while the capture is
// read, then written as one row per flow (pcap.flow_packets). Packets go into
// capture-wide columns with the number of their flow, and are grouped by flow
// only at the end: a few large arrays, not several small ones per flow.
import { endianness } from 'node:os';
import { zeekCommunityId } from './community-id';
import { renderAddress } from './address';
import { FlowTable, FlowTuple, flowTuple, newFlowTuple, zeekHasPorts } from './flow-key';
import { CaptureRecord, FlowLayer } from './types';

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

type Column = Float64Array | Uint32Array | Uint8Array;

/** Growable typed columns of the same length, one entry per packet of a flow. */
class PacketColumns {
  length = 0;
  offset = new Float64Array(1 << 16);
  micros = new Float64Array(1 << 16);
  flow = new Uint32Array(1 << 16);
  fromA = new Uint8Array(1 << 16);
  fragment = new Uint8Array(1 << 16);

  push(offset: number, micros: number, flow: number, fromA: boolean, fragment: number): number {
    if (this.length === this.offset.length) this.grow();
    const i = this.length++;
    this.offset[i] = offset;
    this.micros[i] = micros;
    this.flow[i] = flow;
    this.fromA[i] = fromA ? 1 : 0;
    this.fragment[i] = fragment;
    return i;
  }

  private grow(): void {
    const bigger = <T extends Column>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.offset = bigger(this.offset);
    this.micros = bigger(this.micros);
    this.flow = bigger(this.flow);
    this.fromA = bigger(this.fromA);
    this.fragment = bigger(this.fragment);
  }
}

/** One flow seen in the capture. */
interface Flow {
  id: number;
  communityId: string;
  proto: number;
  aAddr: string;
  aPort: number;
  bAddr: string;
  bPort: number;
  packets: number;
  /** Set when a fragment was added after later packets: its packets are put back in file order. */
  outOfOrder: boolean;
  lastOffset: number;
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

/** An ASCII string column's Arrow buffers (Community IDs and addresses are ASCII: a character is a byte), in one pass. */
function asciiColumn(values: string[]): Utf8Parts {
  const valueOffsets = new Int32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) valueOffsets[i + 1] = valueOffsets[i] + values[i].length;
  const text = values.join('');
  const data = new Uint8Array(text.length);
  Buffer.from(data.buffer).write(text, 'latin1');
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
  proto: Uint8Array;
  aAddr: Utf8Parts;
  aPort: Uint16Array;
  bAddr: Utf8Parts;
  bPort: Uint16Array;
  /** µs, as 64-bit integers. */
  firstTs: BigInt64Array;
  lastTs: BigInt64Array;
  packetCounts: Uint32Array;
  starts: Int32Array;
  offsets: BigUint64Array;
  ts: BigInt64Array;
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
    const t = flowTuple(layer, this.tuple);
    let flow = this.byTuple.get(t);
    if (!flow) {
      // The Community ID Zeek writes in conn.log for this flow (its port rules, its byte order quirk).
      const ports = zeekHasPorts(layer.proto);
      flow = {
        id: this.flows.length,
        communityId: zeekCommunityId(layer.proto, layer.src, layer.dst, ports ? layer.srcPort : 0, ports ? layer.dstPort : 0),
        proto: layer.proto,
        aAddr: renderAddress(t.fromA ? layer.src : layer.dst),
        aPort: t.aPort,
        bAddr: renderAddress(t.fromA ? layer.dst : layer.src),
        bPort: t.bPort,
        packets: 0,
        outOfOrder: false,
        lastOffset: -1,
      };
      this.flows.push(flow);
      this.byTuple.set(t, flow);
    }
    return flow;
  }

  private addPacket(flow: Flow, offset: number, micros: number, fromA: boolean, fragment: number): number {
    if (offset < flow.lastOffset) flow.outOfOrder = true;
    flow.lastOffset = Math.max(flow.lastOffset, offset);
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
      fragment[i] = !complete ? FRAGMENT.INCOMPLETE : fragment[i] === FRAGMENT.LATER ? FRAGMENT.LATER : FRAGMENT.FIRST;
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

  /** Packet indices grouped by flow (a counting sort), each flow's in file order. */
  private packetOrder(): { order: Uint32Array; starts: Int32Array } {
    const n = this.columns.length;
    const starts = new Int32Array(this.flows.length + 1);
    for (const f of this.flows) starts[f.id + 1] = f.packets;
    for (let i = 0; i < this.flows.length; i++) starts[i + 1] += starts[i];
    const next = starts.slice(0, this.flows.length);
    const order = new Uint32Array(n);
    const flowOf = this.columns.flow;
    for (let i = 0; i < n; i++) order[next[flowOf[i]]++] = i;
    const offset = this.columns.offset;
    for (const f of this.flows) {
      if (f.outOfOrder) order.subarray(starts[f.id], starts[f.id + 1]).sort((x, y) => offset[x] - offset[y]);
    }
    return { order, starts };
  }

  /** The capture's rows for pcap.flow_packets as plain columns (they cross threads), and the later fragments that had no flow. */
  toColumns(): { columns: FlowColumns; unmatchedFragments: UnmatchedFragments } {
    const unmatchedFragments = this.settleOpen();
    const flows = this.flows;
    const n = flows.length;
    const total = this.columns.length;
    const { order, starts } = this.packetOrder();
    const c = this.columns;
    // One pass over the packets in flow order (a pass per column cost 4 times as much).
    const offsets = new BigUint64Array(total);
    const times = new BigInt64Array(total);
    const offsetHalves = new Uint32Array(offsets.buffer);
    const timeHalves = new Uint32Array(times.buffer);
    const fragment = new Uint8Array(total);
    const fromA = new Uint8Array(Math.ceil(total / 8));
    const first = new Float64Array(n).fill(Infinity);
    const last = new Float64Array(n).fill(-Infinity);
    for (let i = 0; i < total; i++) {
      const p = order[i];
      const offset = c.offset[p];
      const us = c.micros[p];
      if (LITTLE_ENDIAN) {
        putInt64(offsetHalves, i, offset);
        putInt64(timeHalves, i, us);
      } else {
        offsets[i] = BigInt(offset);
        times[i] = BigInt(us);
      }
      fragment[i] = c.fragment[p];
      if (c.fromA[p]) fromA[i >> 3] |= 1 << (i & 7);
      const f = c.flow[p];
      if (us < first[f]) first[f] = us;
      if (us > last[f]) last[f] = us;
    }
    const columns: FlowColumns = {
      flows: n,
      packets: total,
      communityId: asciiColumn(flows.map(f => f.communityId)),
      proto: Uint8Array.from(flows, f => f.proto),
      aAddr: asciiColumn(flows.map(f => f.aAddr)),
      aPort: Uint16Array.from(flows, f => f.aPort),
      bAddr: asciiColumn(flows.map(f => f.bAddr)),
      bPort: Uint16Array.from(flows, f => f.bPort),
      firstTs: int64Column(BigInt64Array, first),
      lastTs: int64Column(BigInt64Array, last),
      packetCounts: Uint32Array.from(flows, f => f.packets),
      starts,
      offsets,
      ts: times,
      fromA,
      fragment,
    };
    return { columns, unmatchedFragments };
  }
}
