// A capture's flow columns (built on a scan worker) as the Arrow record batch
// appended to pcap.flow_packets: wrapping, no copying.
import * as arrow from 'apache-arrow';
import { FlowColumns, Utf8Parts } from './flow-segments';

export function flowPacketsBatch(c: FlowColumns, captureId: number): arrow.RecordBatch {
  const n = c.flows;
  const total = c.packets;
  const timestamp = new arrow.TimestampMicrosecond('UTC');
  const text = (parts: Utf8Parts) => arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: 0, ...parts });
  const list = <T extends arrow.DataType>(type: T, child: arrow.Data<T>) =>
    arrow.makeData({ type: new arrow.List(new arrow.Field('item', type, false)), length: n, nullCount: 0, valueOffsets: c.starts, child });
  const columns: Record<string, arrow.Data> = {
    community_id: text(c.communityId),
    capture_id: arrow.makeData({ type: new arrow.Uint32(), length: n, data: new Uint32Array(n).fill(captureId) }),
    proto: arrow.makeData({ type: new arrow.Uint8(), length: n, data: c.proto }),
    a_addr: text(c.aAddr),
    a_port: arrow.makeData({ type: new arrow.Uint16(), length: n, data: c.aPort }),
    b_addr: text(c.bAddr),
    b_port: arrow.makeData({ type: new arrow.Uint16(), length: n, data: c.bPort }),
    first_ts: arrow.makeData({ type: timestamp, length: n, data: c.firstTs }),
    last_ts: arrow.makeData({ type: timestamp, length: n, data: c.lastTs }),
    packets: arrow.makeData({ type: new arrow.Uint32(), length: n, data: c.packetCounts }),
    first_offset: arrow.makeData({ type: new arrow.Uint64(), length: n, data: c.firstOffset }),
    offset_deltas: list(new arrow.Uint64(), arrow.makeData({ type: new arrow.Uint64(), length: total, data: c.offsetDeltas })),
    ts_deltas: list(new arrow.Int64(), arrow.makeData({ type: new arrow.Int64(), length: total, data: c.tsDeltas })),
    from_a: list(new arrow.Bool(), arrow.makeData({ type: new arrow.Bool(), length: total, data: c.fromA })),
    fragment: list(new arrow.Uint8(), arrow.makeData({ type: new arrow.Uint8(), length: total, data: c.fragment })),
    community_key: arrow.makeData({ type: new arrow.Uint32(), length: n, data: c.communityKey }),
  };
  const fields = Object.entries(columns).map(([name, data]) => new arrow.Field(name, data.type, false));
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children: Object.values(columns) });
  return new arrow.RecordBatch(new arrow.Schema(fields), struct);
}
