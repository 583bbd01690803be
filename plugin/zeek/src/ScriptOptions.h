// The constants and options of a script module (LogArrow, InputArrow) as text,
// read on Zeek's main thread for the TypeScript side.
#pragma once

#include <map>
#include <string>

namespace zeek_arrow {

std::map<std::string, std::string> ScriptOptions(const std::string& module);

// "5", "5.0", "5 secs", "2 min": an interval option or a $config value, in seconds; `fallback` when
// absent, unreadable or not positive.
double ParseSeconds(const std::map<std::string, std::string>& options, const std::string& key, double fallback);

} // namespace zeek_arrow
