// apache-arrow RecordBatches to and from the plain descriptions of Arrow C
// Data structs that the native bridge reads and writes (plugin/bridge/arrow_js.h).
import * as arrow from 'apache-arrow';

export interface SchemaDescription {
  format: string;
  name: string;
  flags: number;
  children: SchemaDescription[];
}

export interface ArrayDescription {
  length: number;
  nullCount: number;
  offset: number;
  buffers: (Uint8Array | null)[];
  children: ArrayDescription[];
}

const NULLABLE = 2;
const UNITS = ['s', 'm', 'u', 'n'];

/** The C Data format string of an Arrow type. */
export function formatOf(type: arrow.DataType): string {
  switch (type.typeId) {
    case arrow.Type.Null: return 'n';
    case arrow.Type.Bool: return 'b';
    case arrow.Type.Int: {
      const t = type as arrow.Int;
      const code = ({ 8: 'c', 16: 's', 32: 'i', 64: 'l' } as Record<number, string>)[t.bitWidth];
      return t.isSigned ? code : code.toUpperCase();
    }
    case arrow.Type.Float: return ['e', 'f', 'g'][(type as arrow.Float).precision];
    case arrow.Type.Utf8: return 'u';
    case arrow.Type.LargeUtf8: return 'U';
    case arrow.Type.Binary: return 'z';
    case arrow.Type.Timestamp: {
      const t = type as arrow.Timestamp;
      return `ts${UNITS[t.unit]}:${t.timezone ?? ''}`;
    }
    case arrow.Type.Duration: return `tD${UNITS[(type as arrow.Duration).unit]}`;
    case arrow.Type.Interval: return (type as arrow.Interval).unit === arrow.IntervalUnit.MONTH_DAY_NANO ? 'tin' : 'tiD';
    case arrow.Type.List: return '+l';
    case arrow.Type.Struct: return '+s';
    default: throw new Error(`Arrow type ${type} has no C Data mapping here`);
  }
}

/** The Arrow type of a C Data schema description. */
function typeOf(desc: SchemaDescription): arrow.DataType {
  const f = desc.format;
  const field = (d: SchemaDescription) => new arrow.Field(d.name, typeOf(d), (d.flags & NULLABLE) !== 0);
  switch (f) {
    case 'n': return new arrow.Null();
    case 'b': return new arrow.Bool();
    case 'c': return new arrow.Int8();
    case 'C': return new arrow.Uint8();
    case 's': return new arrow.Int16();
    case 'S': return new arrow.Uint16();
    case 'i': return new arrow.Int32();
    case 'I': return new arrow.Uint32();
    case 'l': return new arrow.Int64();
    case 'L': return new arrow.Uint64();
    case 'e': return new arrow.Float16();
    case 'f': return new arrow.Float32();
    case 'g': return new arrow.Float64();
    case 'u': return new arrow.Utf8();
    case 'U': return new arrow.LargeUtf8();
    case 'z': return new arrow.Binary();
    case 'tin': return new arrow.IntervalMonthDayNano();
    case '+l': return new arrow.List(field(desc.children[0]));
    case '+s': return new arrow.Struct(desc.children.map(field));
  }
  if (f.startsWith('ts')) return new arrow.Timestamp(UNITS.indexOf(f[2]), f.slice(4) || null);
  if (f.startsWith('tD')) return new arrow.Duration(UNITS.indexOf(f[2]));
  throw new Error(`C Data format '${f}' is not supported`);
}

export function schemaDescription(schema: arrow.Schema): SchemaDescription {
  const describe = (f: arrow.Field): SchemaDescription => ({
    format: formatOf(f.type),
    name: f.name,
    flags: f.nullable ? NULLABLE : 0,
    children: (f.type.children ?? []).map(describe),
  });
  return { format: '+s', name: '', flags: 0, children: schema.fields.map(describe) };
}

const bytesOf = (a: ArrayBufferView | undefined | null) =>
  a ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : null;

function describeData(data: arrow.Data): ArrayDescription {
  const validity = data.nullCount === 0 ? null : bytesOf(data.nullBitmap);
  let buffers: (Uint8Array | null)[];
  switch (data.type.typeId) {
    case arrow.Type.Struct: buffers = [validity]; break;
    case arrow.Type.List: buffers = [validity, bytesOf(data.valueOffsets)]; break;
    case arrow.Type.Utf8: case arrow.Type.LargeUtf8: case arrow.Type.Binary:
      buffers = [validity, bytesOf(data.valueOffsets), bytesOf(data.values)]; break;
    case arrow.Type.Null: buffers = []; break;
    default: buffers = [validity, bytesOf(data.values)];
  }
  return {
    length: data.length, nullCount: data.nullCount, offset: 0, buffers,
    children: data.children.map(describeData),
  };
}

function hasOffsets(data: arrow.Data): boolean {
  return data.offset !== 0 || data.children.some(hasOffsets);
}

/**
 * A batch as one struct array over its columns' buffers (no copy). Sliced
 * data is compacted first: apache-arrow applies a slice's offset to the null
 * bitmap only, C Data to every buffer.
 */
export function arrayDescription(batch: arrow.RecordBatch): ArrayDescription {
  if (hasOffsets(batch.data)) {
    batch = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table([batch]))).batches[0];
  }
  return { length: batch.numRows, nullCount: 0, offset: 0, buffers: [null], children: batch.data.children.map(describeData) };
}

function viewAs<T extends ArrayBufferView>(bytes: Uint8Array | null, Kind: { new(b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number }): T | undefined {
  if (!bytes) return undefined;
  return new Kind(bytes.buffer, bytes.byteOffset, bytes.byteLength / Kind.BYTES_PER_ELEMENT);
}

function valuesKind(type: arrow.DataType): { new(b: ArrayBufferLike, o: number, n: number): ArrayBufferView; BYTES_PER_ELEMENT: number } {
  switch (type.typeId) {
    case arrow.Type.Int: {
      const t = type as arrow.Int;
      const kinds = { 8: [Int8Array, Uint8Array], 16: [Int16Array, Uint16Array], 32: [Int32Array, Uint32Array], 64: [BigInt64Array, BigUint64Array] } as const;
      return kinds[t.bitWidth as 8 | 16 | 32 | 64][t.isSigned ? 0 : 1];
    }
    case arrow.Type.Float: return [Uint16Array, Float32Array, Float64Array][(type as arrow.Float).precision];
    case arrow.Type.Timestamp: case arrow.Type.Duration: return BigInt64Array;
    case arrow.Type.Interval: return Int32Array;
    default: return Uint8Array;
  }
}

function dataOf(type: arrow.DataType, desc: ArrayDescription): arrow.Data {
  if (desc.offset !== 0) throw new Error('C Data arrays with an offset are not supported');
  const [validity] = desc.buffers;
  const common = { type, length: desc.length, nullCount: desc.nullCount, nullBitmap: validity ?? undefined };
  const children = (type.children ?? []).map((f: arrow.Field, i: number) => dataOf(f.type, desc.children[i]));
  switch (type.typeId) {
    case arrow.Type.Struct:
      return arrow.makeData({ ...common, type: type as arrow.Struct, children });
    case arrow.Type.List:
      return arrow.makeData({ ...common, type: type as arrow.List, valueOffsets: viewAs(desc.buffers[1], Int32Array), child: children[0] });
    case arrow.Type.Utf8:
      return arrow.makeData({ ...common, type: type as arrow.Utf8, valueOffsets: viewAs(desc.buffers[1], Int32Array)!, data: desc.buffers[2] ?? new Uint8Array(0) });
    case arrow.Type.Binary:
      return arrow.makeData({ ...common, type: type as arrow.Binary, valueOffsets: viewAs(desc.buffers[1], Int32Array)!, data: desc.buffers[2] ?? new Uint8Array(0) });
    case arrow.Type.Null:
      return arrow.makeData({ type: type as arrow.Null, length: desc.length });
    default:
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return arrow.makeData({ ...common, data: viewAs(desc.buffers[1], valuesKind(type)) } as any);
  }
}

/**
 * A RecordBatch over described buffers. `as` gives the schema to read them
 * as when its physical layout matches (int64 µs read as a duration, say).
 */
export function batchFromDescription(schema: SchemaDescription, array: ArrayDescription, as?: arrow.Schema): arrow.RecordBatch {
  const target = as ?? new arrow.Schema(schema.children.map(c => new arrow.Field(c.name, typeOf(c), (c.flags & NULLABLE) !== 0)));
  const children = target.fields.map((f, i) => dataOf(f.type, array.children[i]));
  const struct = arrow.makeData({ type: new arrow.Struct(target.fields), length: array.length, nullCount: 0, children });
  return new arrow.RecordBatch(target, struct);
}
