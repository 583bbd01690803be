// zeek_arrow_bridge.node: the native half of zeek-arrow's TypeScript side.
#include <napi.h>

namespace zeek_arrow {
Napi::Object InitDuckDBArrow(Napi::Env env, Napi::Object exports);
Napi::Object InitChildPipe(Napi::Env env, Napi::Object exports);
Napi::Object InitFileHole(Napi::Env env, Napi::Object exports);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  zeek_arrow::InitChildPipe(env, exports);
  zeek_arrow::InitFileHole(env, exports);
  return zeek_arrow::InitDuckDBArrow(env, exports);
}

NODE_API_MODULE(zeek_arrow_bridge, Init)
