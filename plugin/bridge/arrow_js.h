// Arrow C Data structs to and from plain JS descriptions:
//   schema: { format, name, flags, children: [schema] }
//   array:  { length, nullCount, offset, buffers: [Uint8Array | null], children: [array] }
// ts/arrow/c-data.ts turns these into apache-arrow RecordBatches and back.
#pragma once
#include <napi.h>
#include <string>
#include "arrow_c_data.h"

namespace zeek_arrow {

// Builds a schema tree that owns its strings; out->release frees it.
void SchemaFromJs(const Napi::Object& desc, ArrowSchema* out);

// Builds an array tree over the JS buffers (borrowed: they must outlive every
// use of `out`); out->release frees only the structs.
void ArrayFromJs(const Napi::Object& desc, ArrowArray* out);

Napi::Object SchemaToJs(Napi::Env env, const ArrowSchema* schema);

// Describes an array for JS, its buffers copied into JS memory.
Napi::Object ArrayToJs(Napi::Env env, const ArrowSchema* schema, const ArrowArray* array);

// Byte length of buffer `index` of an array of this format.
int64_t BufferBytes(const std::string& format, const ArrowArray* array, int index);

}  // namespace zeek_arrow
