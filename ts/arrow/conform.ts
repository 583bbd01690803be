import * as arrow from 'apache-arrow';

/** An all-null column of a type. */
function nullData(type: arrow.DataType, length: number): arrow.Data {
  const nullBitmap = new Uint8Array(Math.ceil(length / 8));
  const common = { type, length, nullCount: length, nullBitmap };
  switch (type.typeId) {
    case arrow.Type.Struct:
      return arrow.makeData({ ...common, type: type as arrow.Struct,
        children: (type as arrow.Struct).children.map(f => nullData(f.type, length)) });
    case arrow.Type.List:
      return arrow.makeData({ ...common, type: type as arrow.List, valueOffsets: new Int32Array(length + 1),
        child: nullData((type as arrow.List).children[0].type, 0) });
    case arrow.Type.Utf8:
      return arrow.makeData({ ...common, type: type as arrow.Utf8, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) });
    default:
      return arrow.vectorFromArray(new Array(length).fill(null), type).data[0];
  }
}

function conformData(data: arrow.Data | undefined, type: arrow.DataType, length: number): arrow.Data {
  if (!data) return nullData(type, length);
  if (type.typeId === arrow.Type.Struct && data.type.typeId === arrow.Type.Struct) {
    const have = new Map((data.type as arrow.Struct).children.map((f, i) => [f.name, data.children[i]]));
    const children = (type as arrow.Struct).children.map(f => conformData(have.get(f.name), f.type, length));
    return arrow.makeData({ type: type as arrow.Struct, length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, children });
  }
  if (String(data.type) !== String(type)) {
    throw new Error(`column of type ${data.type} where ${type} is expected`);
  }
  return data;
}

/**
 * The batch with the columns of `schema`: fields it lacks are null (a table
 * that a newer log grew), records matched field by field.
 */
export function conformBatch(batch: arrow.RecordBatch, schema: arrow.Schema): arrow.RecordBatch {
  const have = new Map(batch.schema.fields.map((f, i) => [f.name, batch.data.children[i]]));
  if (batch.schema.fields.length === schema.fields.length &&
      schema.fields.every((f, i) => batch.schema.fields[i].name === f.name && String(batch.schema.fields[i].type) === String(f.type))) {
    return batch;
  }
  const children = schema.fields.map(f => conformData(have.get(f.name), f.type, batch.numRows));
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: batch.numRows, children }));
}

/** The batch's buffers under other types of the same physical layout (duration[us] as int64, say). */
export function relabel(batch: arrow.RecordBatch, schema: arrow.Schema): arrow.RecordBatch {
  const as = (data: arrow.Data, type: arrow.DataType): arrow.Data => {
    const children = (type.children ?? []).map((f: arrow.Field, i: number) => as(data.children[i], f.type));
    return new arrow.Data(type, data.offset, data.length, data.nullCount, data.buffers, children, data.dictionary);
  };
  return new arrow.RecordBatch(schema, as(batch.data, new arrow.Struct(schema.fields)) as arrow.Data<arrow.Struct>);
}
