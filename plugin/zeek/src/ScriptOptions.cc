#include "ScriptOptions.h"

#include <chrono>

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

double WallClock() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

} // namespace zeek_arrow
