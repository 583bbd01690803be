#include "ScriptOptions.h"

#include <cstdlib>

#include <zeek/ID.h>
#include <zeek/Scope.h>
#include <zeek/Val.h>

namespace zeek_arrow {

std::map<std::string, std::string> ScriptOptions(const std::string& module) {
    std::map<std::string, std::string> options;
    const std::string prefix = module + "::";
    for ( const auto& [name, id] : zeek::detail::global_scope()->Vars() ) {
        if ( id->ModuleName() != module || ! (id->IsConst() || id->IsOption()) || ! id->GetVal() ) continue;
        const auto& val = id->GetVal();
        std::string key = std::string(name).substr(prefix.size());
        switch ( val->GetType()->Tag() ) {
            case zeek::TYPE_STRING: options[key] = val->AsStringVal()->ToStdString(); break;
            case zeek::TYPE_COUNT: options[key] = std::to_string(val->AsCount()); break;
            case zeek::TYPE_INT: options[key] = std::to_string(val->AsInt()); break;
            case zeek::TYPE_BOOL: options[key] = val->AsBool() ? "T" : "F"; break;
            case zeek::TYPE_DOUBLE:
            case zeek::TYPE_INTERVAL: options[key] = std::to_string(val->AsDouble()); break;
            default: break;
        }
    }
    return options;
}

double ParseSeconds(const std::map<std::string, std::string>& options, const std::string& key, double fallback) {
    auto it = options.find(key);
    if ( it == options.end() ) return fallback;
    const char* text = it->second.c_str();
    char* end = nullptr;
    double value = std::strtod(text, &end);
    if ( end == text || ! (value > 0) ) return fallback;
    while ( *end == ' ' ) end++;
    const std::string unit(end);
    if ( unit.rfind("min", 0) == 0 ) value *= 60;
    else if ( unit.rfind("hr", 0) == 0 ) value *= 3600;
    else if ( unit.rfind("msec", 0) == 0 ) value /= 1000;
    else if ( unit.rfind("usec", 0) == 0 ) value /= 1e6;
    else if ( unit.rfind("day", 0) == 0 ) value *= 86400;
    return value;
}

} // namespace zeek_arrow
