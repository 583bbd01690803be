#include "NodeRuntime.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <node.h>
#include <uv.h>

#include "HostBinding.h"
#include "Plugin.h"
#include "config.h"

namespace zeek_arrow {

namespace {

std::mutex start_mutex;
NodeRuntime* runtime = nullptr;   // once started
NodeRuntime* current = nullptr;   // being started, or started
std::string start_error;
bool shut_down = false;           // Shutdown() was called: Zeek has ended every writer and reader thread

// What work posted after Shutdown() is told: it comes from a thread Zeek started after ending the others (a reporter.log
// writer for a message at exit), which Zeek will never end; the sinks are closing or closed.
const char* const kClosed = "Zeek started this writer or reader after ending the others (at exit): "
                            "the Node.js runtime was closing and took no more work";

std::string PackageRoot() {
    const char* root = std::getenv("ZEEK_ARROW_ROOT");
    return root && *root ? root : ZEEK_ARROW_PACKAGE_ROOT;
}

// The script Node runs first: load the compiled TypeScript host and hand it our binding.
std::string Bootstrap(const std::string& host) {
    return "const binding = process._linkedBinding('zeek_arrow_host');\n"
           "try {\n"
           "  const host = require('module').createRequire(" + std::string("'") + host + "')('" + host + "');\n"
           "  host.start(binding);\n"
           "} catch (e) {\n"
           "  binding.failed(String(e && e.stack || e));\n"
           "}\n";
}

} // namespace

NodeRuntime* NodeRuntime::Get(std::string* error) {
    std::lock_guard<std::mutex> lock(start_mutex);
    if ( runtime ) return runtime;
    if ( shut_down ) {
        *error = kClosed;
        return nullptr;
    }
    if ( ! start_error.empty() ) {
        *error = start_error;
        return nullptr;
    }
    // Node aborts the process when it is initialized twice; ZeekJS initializes it when it has .js scripts.
    if ( plugin.JavaScriptStartsNode() ) {
        start_error =
            "cannot run beside ZeekJS (Zeek::JavaScript) with JavaScript scripts loaded: both embed Node.js, "
            "which starts only once per process. Use another log writer, or run the .js scripts in another Zeek.";
        *error = start_error;
        return nullptr;
    }
    auto* candidate = new NodeRuntime();
    if ( ! candidate->Start(&start_error) ) {
        *error = start_error;
        return nullptr; // the failed runtime's thread has ended; it stays allocated (cheap) for safety
    }
    runtime = candidate;
    return runtime;
}

NodeRuntime* NodeRuntime::Current() { return current; }

bool NodeRuntime::Start(std::string* error) {
    const std::string host = PackageRoot() + "/dist/ts/plugin/host.js";
    if ( ! std::filesystem::exists(host) ) {
        *error = "zeek-arrow's TypeScript is not built: " + host +
                 " is missing (run 'npm install' in the package, or set ZEEK_ARROW_ROOT)";
        return false;
    }
    current = this;
    thread_ = std::thread([this] { Run(); });
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return state_ != State::Starting; });
    if ( state_ == State::Ready ) {
        watchdog_ = std::thread([this] { Watch(); });
        return true;
    }
    *error = "the embedded Node.js runtime did not start: " + error_;
    lock.unlock();
    thread_.join();
    return false;
}

void NodeRuntime::Run() {
    const std::string host = PackageRoot() + "/dist/ts/plugin/host.js";
    // V8's young generation grows to 16 MiB semi-spaces; the host's garbage is small batches' wrappers, and
    // 1 MiB ones took 10 MiB off Zeek's peak memory over a 141 MB capture (bench-writer).
    std::vector<std::string> args = {"zeek", "--max-semi-space-size=1"};
    // Zeek owns the signals, the terminal and the process: Node gets none of them. OpenSSL is set up when a
    // module first uses crypto: at process start Debian's libnode read the system's CA bundle, ~45 ms a Zeek.
    auto init = node::InitializeOncePerProcess(args, {node::ProcessInitializationFlags::kNoInitializeV8,
                                                      node::ProcessInitializationFlags::kNoInitializeNodeV8Platform,
                                                      node::ProcessInitializationFlags::kNoDefaultSignalHandling,
                                                      node::ProcessInitializationFlags::kNoStdioInitialization,
                                                      node::ProcessInitializationFlags::kNoAdjustResourceLimits,
                                                      node::ProcessInitializationFlags::kNoUseLargePages,
                                                      node::ProcessInitializationFlags::kNoPrintHelpOrVersionOutput,
                                                      node::ProcessInitializationFlags::kNoInitOpenSSL});
    if ( init->early_return() ) {
        std::string message;
        for ( const auto& e : init->errors() ) message += e + "; ";
        Failed("Node.js initialization failed: " + message);
        return;
    }

    auto platform = node::MultiIsolatePlatform::Create(2);
    v8::V8::InitializePlatform(platform.get());
    v8::V8::Initialize();

    std::vector<std::string> errors;
    auto setup = node::CommonEnvironmentSetup::Create(platform.get(), &errors, init->args(), init->exec_args());
    if ( ! setup ) {
        std::string message;
        for ( const auto& e : errors ) message += e + "; ";
        Failed("cannot create the Node.js environment: " + message);
        return;
    }

    v8::Isolate* isolate = setup->isolate();
    node::Environment* env = setup->env();
    std::string left_over; // what work not answered by JS is told
    {
        std::lock_guard<std::mutex> lock(mutex_);
        isolate_ = isolate;
        env_ = env;
    }
    {
        v8::Locker locker(isolate);
        v8::Isolate::Scope isolate_scope(isolate);
        v8::HandleScope handle_scope(isolate);
        v8::Context::Scope context_scope(setup->context());

        node::AddLinkedBinding(env, "zeek_arrow_host", RegisterHostBinding, NAPI_VERSION);
        if ( node::LoadEnvironment(env, Bootstrap(host).c_str()).IsEmpty() ) Failed("the bootstrap script threw");

        // Runs until Shutdown() (or the watchdog) stops Node: a user module's live timer or socket
        // keeps the loop alive, not Zeek.
        node::SpinEventLoop(env).FromMaybe(1);
        {
            std::unique_lock<std::mutex> lock(mutex_);
            env_ = nullptr;
            isolate_ = nullptr;
            if ( state_ == State::Starting ) {
                state_ = State::Failed;
                if ( error_.empty() ) error_ = "the host script ended before it started";
            }
            else if ( state_ == State::Ready || state_ == State::Closed )
                state_ = State::Stopped;
            left_over = stopped_because_.empty() ? "the Node.js runtime has stopped (Zeek is shutting down)"
                                                 : "the Node.js runtime was stopped: " + stopped_because_;
            // No Zeek thread may be inside the thread-safe function when Node frees it.
            cv_.wait(lock, [this] { return posting_ == 0; });
            tsfn_ = nullptr;
            cv_.notify_all();
        }
        node::Stop(env);
    }
    setup.reset();
    AnswerAll(left_over);
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    cv_.notify_all();
}

void NodeRuntime::Watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while ( watching_ ) {
        cv_.wait_for(lock, std::chrono::milliseconds(100));
        if ( ! watching_ || ! isolate_ ) continue;
        const double now = SteadyNow();
        if ( running_.active ) {
            // As Node's vm timeouts do: V8 unwinds the JavaScript, and the Node thread carries on.
            if ( ! running_.terminated && now - running_.since > running_.timeout ) {
                running_.terminated = true;
                isolate_->TerminateExecution();
            }
            continue;
        }
        // JavaScript holds the Node thread outside any writer's or reader's call (a timer, a promise's
        // continuation): there is no one to blame, so Node stops and every writer and reader is told.
        if ( state_ == State::Ready && ! queue_.empty() ) {
            const Work& oldest = *queue_.front();
            if ( now - oldest.clock->posted > oldest.timeout + 1 )
                StopNode("JavaScript held the Node.js thread for more than " + Completion::FormatSeconds(oldest.timeout) +
                         " outside any writer's or reader's call; every Arrow writer and reader is disabled");
        }
    }
}

void NodeRuntime::StopNode(const std::string& why) {
    // mutex_ is held: env_ is not freed meanwhile.
    if ( stopped_because_.empty() ) stopped_because_ = why;
    if ( state_ == State::Ready ) state_ = State::Closed;
    if ( env_ ) node::Stop(env_);
    if ( ! why.empty() ) fprintf(stderr, "zeek-arrow: %s\n", why.c_str());
}

std::unique_ptr<Work> NodeRuntime::Next() {
    std::lock_guard<std::mutex> lock(mutex_);
    if ( queue_.empty() ) return nullptr;
    auto work = std::move(queue_.front());
    queue_.pop_front();
    return work;
}

void NodeRuntime::Enter(const Work& work) {
    std::lock_guard<std::mutex> lock(mutex_);
    const double now = SteadyNow();
    work.clock->started = now;
    running_ = Running{true, false, work.ForReader(), work.writer, now, work.timeout};
}

bool NodeRuntime::Leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool terminated = running_.terminated;
    running_ = Running{};
    return terminated;
}

void NodeRuntime::Dispatched(Work* work) {
    std::lock_guard<std::mutex> lock(mutex_);
    unanswered_.insert(work);
}

void NodeRuntime::Answered(Work* work) {
    std::lock_guard<std::mutex> lock(mutex_);
    unanswered_.erase(work);
}

void NodeRuntime::AnswerAll(const std::string& error) {
    std::deque<std::unique_ptr<Work>> queued;
    std::set<Work*> unanswered;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queued.swap(queue_);
        unanswered.swap(unanswered_);
    }
    auto answer = [&error](Work& work) {
        Reply reply;
        reply.ok = false;
        reply.error = error;
        if ( work.on_reply ) work.on_reply(std::move(reply));
    };
    for ( auto& work : queued ) answer(*work);
    for ( Work* work : unanswered ) {
        answer(*work);
        delete work;
    }
}

Reply NodeRuntime::Call(std::unique_ptr<Work> work) {
    auto done = std::make_shared<Completion>();
    work->on_reply = [done](Reply&& r) { done->Fulfil(std::move(r)); };
    auto clock = work->clock;
    const double timeout = work->timeout;
    Post(std::move(work));
    return done->Wait(*clock, timeout);
}

void NodeRuntime::Post(std::unique_ptr<Work> work) {
    napi_threadsafe_function tsfn = nullptr;
    std::string why;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if ( state_ == State::Ready && tsfn_ && ( ! closing_ || work->kind == Work::Kind::Shutdown ) ) {
            longest_timeout_ = std::max(longest_timeout_, work->timeout);
            queue_.push_back(std::move(work));
            tsfn = tsfn_;
            ++posting_; // Node frees the function only when no call is inside it
        }
        else if ( ! stopped_because_.empty() )
            why = "the Node.js runtime was stopped: " + stopped_because_;
        else
            why = closing_ ? kClosed : "the Node.js runtime has stopped (Zeek is shutting down)";
    }
    if ( ! tsfn ) {
        Reply reply;
        reply.ok = false;
        reply.error = why;
        if ( work->on_reply ) work->on_reply(std::move(reply));
        return;
    }
    // The queue has no limit: a writer's own max_pending_batches bounds what it has in flight.
    // A closing function refuses the call; Run() answers what is left in the queue when Node ends.
    napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking);
    std::lock_guard<std::mutex> lock(mutex_);
    --posting_;
    cv_.notify_all();
}

void NodeRuntime::Ready(napi_threadsafe_function tsfn) {
    std::lock_guard<std::mutex> lock(mutex_);
    tsfn_ = tsfn;
    if ( state_ == State::Starting ) state_ = State::Ready;
    cv_.notify_all();
}

void NodeRuntime::Failed(const std::string& error) {
    std::lock_guard<std::mutex> lock(mutex_);
    if ( error_.empty() ) error_ = error;
    if ( state_ == State::Starting ) state_ = State::Failed;
    cv_.notify_all();
}

void NodeRuntime::Shutdown() {
    NodeRuntime* self;
    {
        std::lock_guard<std::mutex> lock(start_mutex);
        shut_down = true;
        self = runtime;
    }
    if ( ! self ) return;
    auto work = std::make_unique<Work>();
    work->kind = Work::Kind::Shutdown;
    {
        std::lock_guard<std::mutex> lock(self->mutex_);
        self->closing_ = true; // from now on only a thread Zeek will never end posts work
        work->timeout = self->longest_timeout_ > 0 ? self->longest_timeout_ : 600;
    }
    work->clock->started = work->clock->posted; // the deadline counts from now, even if JS never takes it up
    const double timeout = work->timeout;
    Reply reply = self->Call(std::move(work));

    // Ends the event loop whatever still holds it (a user module's timer or socket, a hung promise).
    const std::string why = reply.ok ? "" : "closing the sinks: " + reply.error;
    {
        std::lock_guard<std::mutex> lock(self->mutex_);
        self->StopNode(why);
    }
    // A bounded join: Zeek exits even if Node does not come back.
    bool ended;
    {
        std::unique_lock<std::mutex> lock(self->mutex_);
        ended = self->cv_.wait_for(lock, std::chrono::duration<double>(std::min(timeout, 10.0)),
                                   [self] { return self->finished_; });
        self->watching_ = false;
        self->cv_.notify_all();
    }
    if ( self->watchdog_.joinable() ) self->watchdog_.join();
    if ( ended ) {
        if ( self->thread_.joinable() ) self->thread_.join();
    }
    else {
        fprintf(stderr, "zeek-arrow: the Node.js runtime did not stop; Zeek exits without it\n");
        if ( self->thread_.joinable() ) self->thread_.detach();
    }
}

} // namespace zeek_arrow
