// A user's record batch checked before anything reads it (DuckDB's Arrow scan, the plugin's C++):
// apache-arrow builds Data from whatever buffers it is given, and a bad offset or length would
// read outside them.
import * as arrow from 'apache-arrow';

/** Throws, naming `where` and the column, when a batch's lengths, offsets or buffers do not agree. */
export function checkBatch(batch: arrow.RecordBatch, where: string): void {
  batch.schema.fields.forEach((field, i) => {
    const problem = checkData(batch.data.children[i], batch.numRows);
    if (problem) throw new Error(`${where}, column '${field.name}': ${problem}`);
  });
}

const whole = (n: number) => Number.isInteger(n) && n >= 0;

/** What is wrong with `data` (which must hold at least `rows` rows), or undefined. */
function checkData(data: arrow.Data | undefined, rows: number): string | undefined {
  if (!data) return 'is missing';
  const { type, offset, length } = data;
  if (!whole(offset) || !whole(length)) return `has offset ${offset} and length ${length}`;
  if (length < rows) return `has ${length} rows, its batch ${rows}`;
  const end = offset + length;
  if (data.nullBitmap && data.nullBitmap.length > 0 && data.nullBitmap.length * 8 < end) return 'has a short validity bitmap';
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type) || arrow.DataType.isLargeUtf8(type) ||
      arrow.DataType.isLargeBinary(type) || arrow.DataType.isList(type)) {
    const offsets = data.valueOffsets as ArrayLike<number | bigint> | undefined;
    if (!offsets || offsets.length < end + 1) return `has ${offsets?.length ?? 0} value offsets for ${end} rows`;
    for (let row = offset; row < end; row++) {
      const from = Number(offsets[row]);
      const to = Number(offsets[row + 1]);
      if (from < 0 || to < from) return `has value offsets ${from} to ${to} at row ${row - offset}`;
    }
    const last = Number(offsets[end]);
    const available = arrow.DataType.isList(type) ? data.children[0]?.length ?? 0 : data.values?.length ?? 0;
    if (last > available) return `has value offsets up to ${last}, past its ${available} values`;
    if (arrow.DataType.isList(type)) {
      const item = checkData(data.children[0], last);
      if (item) return `item ${item}`;
    }
    return undefined;
  }
  if (arrow.DataType.isStruct(type)) {
    for (const [i, child] of data.children.entries()) {
      const problem = checkData(child, end);
      if (problem) return `field '${type.children[i].name}' ${problem}`;
    }
    return undefined;
  }
  if (arrow.DataType.isFixedSizeList(type)) {
    const item = checkData(data.children[0], end * type.listSize);
    return item && `item ${item}`;
  }
  if (arrow.DataType.isDictionary(type)) {
    const indices = data.values as ArrayLike<number | bigint> | undefined;
    if (!indices || indices.length < end) return 'has a short index buffer';
    const size = data.dictionary?.length ?? 0;
    for (let row = offset; row < end; row++) {
      const index = Number(indices[row]);
      if (index < 0 || index >= size) return `has dictionary index ${index} at row ${row - offset}, of ${size}`;
    }
    return undefined;
  }
  if (arrow.DataType.isNull(type)) return undefined;
  if (arrow.DataType.isBool(type)) return (data.values?.length ?? 0) * 8 < end ? 'has a short value buffer' : undefined;
  return (data.values?.length ?? 0) < end * data.stride ? 'has a short value buffer' : undefined;
}
