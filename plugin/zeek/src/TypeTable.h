// The plugin's C++ checked, when the host starts, against the one table of Zeek
// types (ts/schema/zeek-types.ts): a type the writer (ColumnBuilder) or the
// reader (RowValues) holds differently from TypeScript is an error naming it.
#pragma once

#include <napi.h>

#include <string>

namespace zeek_arrow {

// The rows host.ts passes ({name, container, writer, reader, readerMicros}); empty
// when every type agrees with the plugin, else what disagrees, naming the type.
std::string CheckTypeTable(const Napi::Value& rows);

} // namespace zeek_arrow
