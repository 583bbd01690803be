// zeek_arrow_bridge.node: the native half of zeek-arrow's TypeScript side.
#include <napi.h>

namespace zeek_arrow {
Napi::Object InitDuckDBArrow(Napi::Env env, Napi::Object exports);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) { return zeek_arrow::InitDuckDBArrow(env, exports); }

NODE_API_MODULE(zeek_arrow_bridge, Init)
