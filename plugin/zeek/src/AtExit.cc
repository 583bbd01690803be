#include "AtExit.h"

#include <cstdio>

#include <zeek/RunState.h>

namespace zeek_arrow {

bool ZeekExiting() {
    // Set once, on the main thread, before it hands any thread the work of the exit; read here as Zeek's own
    // threads read network_time (threading/MsgThread.cc).
    return zeek::run_state::terminating;
}

void TellOnStderr(const char* level, const char* thread, const std::string& message) {
    std::fprintf(stderr, "%s: %s: %s\n", level, thread, message.c_str());
}

} // namespace zeek_arrow
