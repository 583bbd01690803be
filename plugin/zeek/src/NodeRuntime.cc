#include "NodeRuntime.h"

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
    if ( state_ == State::Ready ) return true;
    *error = "the embedded Node.js runtime did not start: " + error_;
    lock.unlock();
    thread_.join();
    return false;
}

void NodeRuntime::Run() {
    const std::string host = PackageRoot() + "/dist/ts/plugin/host.js";
    std::vector<std::string> args = {"zeek"};
    // Zeek owns the signals, the terminal and the process: Node gets none of them.
    auto init = node::InitializeOncePerProcess(args, {node::ProcessInitializationFlags::kNoInitializeV8,
                                                      node::ProcessInitializationFlags::kNoInitializeNodeV8Platform,
                                                      node::ProcessInitializationFlags::kNoDefaultSignalHandling,
                                                      node::ProcessInitializationFlags::kNoStdioInitialization,
                                                      node::ProcessInitializationFlags::kNoAdjustResourceLimits,
                                                      node::ProcessInitializationFlags::kNoUseLargePages,
                                                      node::ProcessInitializationFlags::kNoPrintHelpOrVersionOutput});
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
    {
        v8::Locker locker(isolate);
        v8::Isolate::Scope isolate_scope(isolate);
        v8::HandleScope handle_scope(isolate);
        v8::Context::Scope context_scope(setup->context());

        node::AddLinkedBinding(env, "zeek_arrow_host", RegisterHostBinding, NAPI_VERSION);
        if ( node::LoadEnvironment(env, Bootstrap(host).c_str()).IsEmpty() ) Failed("the bootstrap script threw");

        // Runs until the host binding releases its thread-safe function at shutdown.
        node::SpinEventLoop(env).FromMaybe(1);
        node::Stop(env);
    }
    setup.reset();
    Stopped();
}

Reply NodeRuntime::Call(std::unique_ptr<Work> work, double timeout) {
    auto done = std::make_shared<Completion>();
    work->on_reply = [done](Reply&& r) { done->Fulfil(std::move(r)); };
    Post(std::move(work));
    return done->Wait(timeout);
}

void NodeRuntime::Post(std::unique_ptr<Work> work) {
    napi_threadsafe_function tsfn;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        tsfn = state_ == State::Ready ? tsfn_ : nullptr;
        if ( tsfn ) ++posting_; // Shutdown() releases the function only when no call is inside it
    }
    if ( ! tsfn ) {
        Reply reply;
        reply.ok = false;
        reply.error = "the Node.js runtime has stopped (Zeek is shutting down)";
        if ( work->on_reply ) work->on_reply(std::move(reply));
        return;
    }
    Work* raw = work.release();
    const napi_status status = napi_call_threadsafe_function(tsfn, raw, napi_tsfn_blocking);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        --posting_;
        cv_.notify_all();
    }
    if ( status != napi_ok ) {
        Reply reply;
        reply.ok = false;
        reply.error = "the Node.js runtime is closing";
        if ( raw->on_reply ) raw->on_reply(std::move(reply));
        delete raw;
    }
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

void NodeRuntime::Stopped() {
    std::lock_guard<std::mutex> lock(mutex_);
    if ( state_ == State::Starting ) {
        state_ = State::Failed;
        if ( error_.empty() ) error_ = "the host script ended before it started";
    }
    else if ( state_ == State::Ready || state_ == State::Closed )
        state_ = State::Stopped;
    tsfn_ = nullptr;
    cv_.notify_all();
}

void NodeRuntime::Shutdown() {
    NodeRuntime* self;
    {
        std::lock_guard<std::mutex> lock(start_mutex);
        self = runtime;
    }
    if ( ! self ) return;
    auto work = std::make_unique<Work>();
    work->kind = Work::Kind::Shutdown;
    auto done = std::make_shared<Completion>();
    work->on_reply = [done](Reply&& r) { done->Fulfil(std::move(r)); };
    self->Post(std::move(work));
    done->Wait(300); // closing a DuckDB file can take a while; never forever

    // No more work: writers that come now (Zeek may start one while it shuts down) get an error reply.
    napi_threadsafe_function tsfn;
    {
        std::unique_lock<std::mutex> lock(self->mutex_);
        if ( self->state_ == State::Ready ) self->state_ = State::Closed;
        self->cv_.wait(lock, [self] { return self->posting_ == 0; });
        tsfn = self->tsfn_;
        self->tsfn_ = nullptr;
    }
    // The last reference: Node finalizes the function and its event loop can end.
    if ( tsfn ) napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    if ( self->thread_.joinable() ) self->thread_.join();
}

} // namespace zeek_arrow
