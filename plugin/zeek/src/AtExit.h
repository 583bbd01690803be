// What a writer or reader tells at Zeek's exit goes to stderr, not through Zeek's reporter.
//
// Once Zeek exits (zeek_done and after), it handles a writer or reader thread's messages only while it ends
// those threads (threading::Manager::Terminate), and raises their reporter events after every thread has
// ended: reporter.log's writer is stopped by then, or Zeek starts a new one that nothing will ever stop
// ("Thread ... added after threading manager terminated"). A failure returned to Zeek at exit takes the
// same way (Zeek reports "terminating thread").
#pragma once

#include <string>

namespace zeek_arrow {

// True once Zeek has begun to exit.
bool ZeekExiting();

// Writes "<level>: <thread>: <message>" on stderr, as Zeek's reporter words a thread's message.
void TellOnStderr(const char* level, const char* thread, const std::string& message);

} // namespace zeek_arrow
