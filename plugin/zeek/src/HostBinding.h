// The N-API module the embedded runtime's TypeScript host sees as
// process._linkedBinding('zeek_arrow_host'): start(dispatch), failed(message).
#pragma once

#include <node_api.h>

namespace zeek_arrow {

napi_value RegisterHostBinding(napi_env env, napi_value exports);

} // namespace zeek_arrow
