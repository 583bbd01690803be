#include "arrow_js.h"

#include <cstring>
#include <memory>
#include <vector>

namespace zeek_arrow {

namespace {

struct SchemaPrivate {
  std::string format;
  std::string name;
  std::vector<ArrowSchema> children;
  std::vector<ArrowSchema*> child_pointers;
};

void ReleaseSchema(ArrowSchema* schema) {
  auto* p = static_cast<SchemaPrivate*>(schema->private_data);
  for (auto& child : p->children) {
    if (child.release) child.release(&child);
  }
  delete p;
  schema->release = nullptr;
}

struct ArrayPrivate {
  std::vector<const void*> buffers;
  std::vector<ArrowArray> children;
  std::vector<ArrowArray*> child_pointers;
};

void ReleaseArray(ArrowArray* array) {
  auto* p = static_cast<ArrayPrivate*>(array->private_data);
  for (auto& child : p->children) {
    if (child.release) child.release(&child);
  }
  delete p;
  array->release = nullptr;
}

int64_t Number(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  }
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : 0;
}

// Bytes per value of a fixed-width format, 0 when it is not fixed-width.
int64_t FixedWidth(const std::string& f) {
  if (f == "c" || f == "C") return 1;
  if (f == "s" || f == "S" || f == "e") return 2;
  if (f == "i" || f == "I" || f == "f" || f == "tdD" || f == "tts" || f == "ttm" || f == "tiM") return 4;
  if (f == "l" || f == "L" || f == "g" || f == "tdm" || f == "ttu" || f == "ttn" || f == "tiD") return 8;
  if (f.rfind("ts", 0) == 0 || f.rfind("tD", 0) == 0) return 8;
  if (f == "tin") return 16;
  if (f.rfind("d:", 0) == 0) return 16;
  if (f.rfind("w:", 0) == 0) return std::stoll(f.substr(2));
  return 0;
}

}  // namespace

void SchemaFromJs(const Napi::Object& desc, ArrowSchema* out) {
  auto* p = new SchemaPrivate();
  p->format = desc.Get("format").As<Napi::String>().Utf8Value();
  p->name = desc.Get("name").IsString() ? desc.Get("name").As<Napi::String>().Utf8Value() : "";
  Napi::Array children = desc.Get("children").As<Napi::Array>();
  p->children.resize(children.Length());
  for (uint32_t i = 0; i < children.Length(); i++) {
    SchemaFromJs(children.Get(i).As<Napi::Object>(), &p->children[i]);
    p->child_pointers.push_back(&p->children[i]);
  }
  *out = ArrowSchema{};
  out->format = p->format.c_str();
  out->name = p->name.c_str();
  out->flags = Number(desc, "flags");
  out->n_children = static_cast<int64_t>(p->children.size());
  out->children = p->child_pointers.data();
  out->release = ReleaseSchema;
  out->private_data = p;
}

void ArrayFromJs(const Napi::Object& desc, ArrowArray* out) {
  auto* p = new ArrayPrivate();
  Napi::Array buffers = desc.Get("buffers").As<Napi::Array>();
  for (uint32_t i = 0; i < buffers.Length(); i++) {
    Napi::Value b = buffers.Get(i);
    p->buffers.push_back(b.IsTypedArray() ? b.As<Napi::Uint8Array>().Data() : nullptr);
  }
  Napi::Array children = desc.Get("children").As<Napi::Array>();
  p->children.resize(children.Length());
  for (uint32_t i = 0; i < children.Length(); i++) {
    ArrayFromJs(children.Get(i).As<Napi::Object>(), &p->children[i]);
    p->child_pointers.push_back(&p->children[i]);
  }
  *out = ArrowArray{};
  out->length = Number(desc, "length");
  out->null_count = Number(desc, "nullCount");
  out->offset = Number(desc, "offset");
  out->n_buffers = static_cast<int64_t>(p->buffers.size());
  out->buffers = p->buffers.data();
  out->n_children = static_cast<int64_t>(p->children.size());
  out->children = p->child_pointers.data();
  out->release = ReleaseArray;
  out->private_data = p;
}

Napi::Object SchemaToJs(Napi::Env env, const ArrowSchema* schema) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("format", schema->format);
  o.Set("name", schema->name ? schema->name : "");
  o.Set("flags", Napi::Number::New(env, static_cast<double>(schema->flags)));
  Napi::Array children = Napi::Array::New(env, schema->n_children);
  for (int64_t i = 0; i < schema->n_children; i++) {
    children.Set(static_cast<uint32_t>(i), SchemaToJs(env, schema->children[i]));
  }
  o.Set("children", children);
  return o;
}

int64_t BufferBytes(const std::string& f, const ArrowArray* a, int index) {
  const int64_t end = a->offset + a->length;
  if (index == 0 && f != "n") return (end + 7) / 8;  // validity bitmap
  if (f == "b") return (end + 7) / 8;
  if (int64_t width = FixedWidth(f)) return end * width;
  const bool large = f == "U" || f == "Z" || f == "+L";
  const int64_t offset_width = large ? 8 : 4;
  if (f == "u" || f == "z" || f == "U" || f == "Z") {
    if (index == 1) return (end + 1) * offset_width;
    if (a->length == 0 && a->offset == 0) return 0;
    const void* offsets = a->buffers[1];
    return large ? static_cast<const int64_t*>(offsets)[end] : static_cast<const int32_t*>(offsets)[end];
  }
  if (f == "+l" || f == "+L") return (end + 1) * offset_width;
  return 0;
}

Napi::Object ArrayToJs(Napi::Env env, const ArrowSchema* schema, const ArrowArray* array) {
  const std::string format = schema->format;
  Napi::Object o = Napi::Object::New(env);
  o.Set("length", Napi::Number::New(env, static_cast<double>(array->length)));
  o.Set("nullCount", Napi::Number::New(env, static_cast<double>(array->null_count)));
  o.Set("offset", Napi::Number::New(env, static_cast<double>(array->offset)));
  Napi::Array buffers = Napi::Array::New(env, array->n_buffers);
  for (int64_t i = 0; i < array->n_buffers; i++) {
    const void* data = array->buffers[i];
    if (!data) {
      buffers.Set(static_cast<uint32_t>(i), env.Null());
      continue;
    }
    const int64_t bytes = BufferBytes(format, array, static_cast<int>(i));
    Napi::Uint8Array copy = Napi::Uint8Array::New(env, static_cast<size_t>(bytes));
    if (bytes) std::memcpy(copy.Data(), data, static_cast<size_t>(bytes));
    buffers.Set(static_cast<uint32_t>(i), copy);
  }
  o.Set("buffers", buffers);
  Napi::Array children = Napi::Array::New(env, array->n_children);
  for (int64_t i = 0; i < array->n_children; i++) {
    children.Set(static_cast<uint32_t>(i), ArrayToJs(env, schema->children[i], array->children[i]));
  }
  o.Set("children", children);
  return o;
}

}  // namespace zeek_arrow
