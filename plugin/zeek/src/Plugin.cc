#include "Plugin.h"

#include <zeek/input/Component.h>
#include <zeek/logging/Component.h>
#include <zeek/plugin/Manager.h>

#include "ArrowReader.h"
#include "ArrowWriter.h"
#include "NodeRuntime.h"

namespace zeek_arrow {

Plugin plugin;

zeek::plugin::Configuration Plugin::Configure() {
    AddComponent(new zeek::logging::Component("Arrow", ArrowWriter::Instantiate));
    AddComponent(new zeek::input::Component("Arrow", ArrowReader::Instantiate));
    EnableHook(zeek::plugin::HOOK_LOAD_FILE);
    zeek::plugin::Configuration config;
    config.name = "ZeekArrow::Arrow";
    config.description = "Log writers and input readers in TypeScript on embedded Node.js: DuckDB, Parquet, Arrow IPC";
    config.version.major = 0;
    config.version.minor = 1;
    config.version.patch = 0;
    return config;
}

int Plugin::HookLoadFile(LoadType, const std::string& file, const std::string& resolved) {
    const std::string& name = resolved.empty() ? file : resolved;
    if ( name.size() > 3 && name.compare(name.size() - 3, 3, ".js") == 0 ) javascript_loaded_ = true;
    return -1; // not ours to load
}

bool Plugin::JavaScriptStartsNode() const {
    if ( ! javascript_loaded_ ) return false;
    for ( const auto* p : zeek::plugin_mgr->ActivePlugins() ) {
        if ( p->Name() == "Zeek::JavaScript" || p->Name() == "Corelight::ZeekJS" ) return true;
    }
    return false;
}

void Plugin::Done() {
    // Every writer has finished by now (Zeek joins their threads first): close the sinks, stop Node.
    NodeRuntime::Shutdown();
    zeek::plugin::Plugin::Done();
}

} // namespace zeek_arrow
