#pragma once

#include <zeek/plugin/Plugin.h>

namespace zeek_arrow {

class Plugin : public zeek::plugin::Plugin {
public:
    // Whether ZeekJS (Zeek::JavaScript) is active with JavaScript scripts loaded:
    // it then starts Node.js itself, which can only start once per process.
    bool JavaScriptStartsNode() const;

protected:
    zeek::plugin::Configuration Configure() override;
    int HookLoadFile(LoadType type, const std::string& file, const std::string& resolved) override;
    void Done() override;

private:
    bool javascript_loaded_ = false;
};

extern Plugin plugin;

} // namespace zeek_arrow
