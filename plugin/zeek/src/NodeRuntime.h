// The one Node.js runtime of the process: started on first use on a thread of
// its own, with its own event loop, so that it keeps running while Zeek's main
// thread is blocked (DoFinish runs while Zeek joins its writer threads).
//
// No Zeek thread ever waits on it without a deadline: posting never blocks, a
// watchdog stops JavaScript that holds the Node thread past its work's
// reply_timeout, and Shutdown() stops Node even if JavaScript never returns.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <node_api.h>

#include "Work.h"

namespace node {
class Environment;
}
namespace v8 {
class Isolate;
}

namespace zeek_arrow {

class NodeRuntime {
public:
    // The runtime, started on the first call; nullptr (and *error) when it cannot run.
    static NodeRuntime* Get(std::string* error);

    // Stops the runtime if it was started: JS closes its sinks first (Zeek's Done()), within the
    // longest reply_timeout of any writer or reader; then Node stops, whatever JS is doing.
    static void Shutdown();

    // Hands work to JS without waiting. Fails with a reply if the runtime is gone.
    void Post(std::unique_ptr<Work> work);

    // Posts work and waits for JS's reply (at most work->timeout seconds after JS took it up).
    Reply Call(std::unique_ptr<Work> work);

    // The runtime being started or running (for the host binding, on the Node thread).
    static NodeRuntime* Current();

    // Called on the Node thread by the host binding.
    void Ready(napi_threadsafe_function tsfn);
    void Failed(const std::string& error);
    // The next posted work, or none.
    std::unique_ptr<Work> Next();
    // The JavaScript of `work` runs from now until Leave(); true from Leave() if the watchdog stopped it.
    void Enter(const Work& work);
    bool Leave();
    // Work handed to JS and not answered yet, answered with an error if Node stops first.
    void Dispatched(Work* work);
    void Answered(Work* work);

private:
    NodeRuntime() = default;
    bool Start(std::string* error);
    void Run();
    void Watch();
    // Ends the event loop (and any JavaScript running) from any thread.
    void StopNode(const std::string& why);
    // Answers every queued and every unanswered piece of work with `error` (Node thread, or Node gone).
    void AnswerAll(const std::string& error);

    enum class State { Starting, Ready, Closed, Failed, Stopped };

    std::thread thread_;
    std::thread watchdog_;
    std::mutex mutex_;
    std::condition_variable cv_;
    State state_ = State::Starting;
    std::string error_;
    std::string stopped_because_; // set when Node was stopped before it was done
    bool closing_ = false;        // Shutdown() has begun: work posted from now on is refused
    napi_threadsafe_function tsfn_ = nullptr;
    int posting_ = 0; // Post() calls inside napi_call_threadsafe_function
    std::deque<std::unique_ptr<Work>> queue_;
    std::set<Work*> unanswered_;
    double longest_timeout_ = 0;

    // Set on the Node thread while it runs; the watchdog reads them under mutex_.
    v8::Isolate* isolate_ = nullptr;
    node::Environment* env_ = nullptr;
    struct Running {
        bool active = false;
        bool terminated = false;
        bool reader = false;
        uint64_t id = 0;
        double since = 0;
        double timeout = 0;
    } running_;
    bool watching_ = true;
    bool finished_ = false; // Run() is over: Node is freed and every piece of work answered
};

} // namespace zeek_arrow
