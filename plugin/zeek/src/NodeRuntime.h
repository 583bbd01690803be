// The one Node.js runtime of the process: started on first use on a thread of
// its own, with its own event loop, so that it keeps running while Zeek's main
// thread is blocked (DoFinish runs while Zeek joins its writer threads).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <node_api.h>

#include "Work.h"

namespace zeek_arrow {

class NodeRuntime {
public:
    // The runtime, started on the first call; nullptr (and *error) when it cannot run.
    static NodeRuntime* Get(std::string* error);

    // Stops the runtime if it was started: JS closes its sinks first (Zeek's Done()).
    static void Shutdown();

    // Hands work to JS; blocks while JS's queue is full. Fails with a reply if the runtime is gone.
    void Post(std::unique_ptr<Work> work);

    // Posts work and waits for JS's reply (at most `timeout` seconds).
    Reply Call(std::unique_ptr<Work> work, double timeout);

    // The runtime being started or running (for the host binding, on the Node thread).
    static NodeRuntime* Current();

    // Called on the Node thread by the host binding.
    void Ready(napi_threadsafe_function tsfn);
    void Failed(const std::string& error);
    void Stopped();

private:
    NodeRuntime() = default;
    bool Start(std::string* error);
    void Run();

    enum class State { Starting, Ready, Closed, Failed, Stopped };

    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    State state_ = State::Starting;
    std::string error_;
    napi_threadsafe_function tsfn_ = nullptr;
    int posting_ = 0; // Post() calls inside napi_call_threadsafe_function
};

} // namespace zeek_arrow
