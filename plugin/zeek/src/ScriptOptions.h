// The constants and options of a script module (LogArrow, InputArrow) as text,
// read on Zeek's main thread for the TypeScript side.
#pragma once

#include <map>
#include <string>

namespace zeek_arrow {

std::map<std::string, std::string> ScriptOptions(const std::string& module);

// Wall-clock seconds: batch ages and change checks are about real time, not network time.
double WallClock();

} // namespace zeek_arrow
