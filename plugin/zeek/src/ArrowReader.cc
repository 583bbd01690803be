#include "ArrowReader.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "AtExit.h"
#include "NodeRuntime.h"
#include "ScriptOptions.h"

namespace zeek_arrow {

namespace {

// Names each reader to the TypeScript host (writers are numbered apart).
std::atomic<uint64_t> next_reader{1};

// Rows queued for the main thread before this thread waits, and how often it looks. This reader converts
// faster than Zeek inserts, and queued a whole table at once: with 1 M rows, 75 MiB more at the peak, and
// more main-thread work (page clearing, malloc consolidation) than Zeek's ASCII reader, which keeps pace.
// 4096 rather than 65536: bench-reader's CPU ratio to ASCII 1.15 -> 1.05 (loaded, medians of 3).
constexpr uint64_t max_queued_rows = 4096;
constexpr int64_t rows_between_looks = 1024;

const char* ModeName(zeek::input::ReaderMode mode) {
    switch ( mode ) {
        case zeek::input::MODE_MANUAL: return "manual";
        case zeek::input::MODE_REREAD: return "reread";
        case zeek::input::MODE_STREAM: return "stream";
        default: return "none";
    }
}

} // namespace

ArrowReader::ArrowReader(zeek::input::ReaderFrontend* frontend)
    : zeek::input::ReaderBackend(frontend), options_(ScriptOptions("InputArrow")), id_(next_reader++) {
    reply_timeout_ = ParseSeconds(options_, "reply_timeout", reply_timeout_);
    check_interval_ = ParseSeconds(options_, "check_interval", check_interval_);
}

Reply ArrowReader::Call(std::unique_ptr<Work> work) {
    work->writer = id_;
    work->timeout = reply_timeout_;
    Reply reply = runtime_->Call(std::move(work));
    if ( reply.late && ! abandoned_ ) {
        // JS may never answer: it forgets this reader, and Zeek disables it.
        abandoned_ = true;
        auto abandon = std::make_unique<Work>();
        abandon->kind = Work::Kind::ReaderAbandon;
        abandon->writer = id_;
        abandon->timeout = reply_timeout_;
        abandon->reason = reply.error;
        runtime_->Post(std::move(abandon));
    }
    return reply;
}

bool ArrowReader::Failed(const std::string& error) {
    Error(Fmt("Arrow reader for '%s' (source '%s'): %s", Info().name, Info().source, error.c_str()));
    return false;
}

bool ArrowReader::DoInit(const ReaderInfo& info, int num_fields, const zeek::threading::Field* const* fields) {
    std::string error;
    runtime_ = NodeRuntime::Get(&error);
    if ( ! runtime_ ) return Failed("cannot start: " + error);

    auto work = std::make_unique<Work>();
    work->kind = Work::Kind::ReaderInit;
    work->source = info.source;
    work->stream_name = info.name;
    work->mode = ModeName(info.mode);
    work->config = options_;
    for ( const auto& [k, v] : info.config ) work->config[k] = v; // the stream's $config wins
    reply_timeout_ = ParseSeconds(work->config, "reply_timeout", reply_timeout_);
    check_interval_ = ParseSeconds(work->config, "check_interval", check_interval_);
    for ( int i = 0; i < num_fields; i++ ) {
        ReaderField field;
        field.name = fields[i]->name;
        field.type = fields[i]->TypeName();
        if ( fields[i]->secondary_name ) field.proto_column = fields[i]->secondary_name;
        field.optional = fields[i]->optional;
        work->reader_fields.push_back(std::move(field));
    }
    rows_ = std::make_unique<RowValues>(this, num_fields, fields);

    // Like Zeek's ASCII reader, the source is read once at the start, in every mode.
    Reply reply = Call(std::move(work));
    if ( ! reply.ok ) return Failed(reply.error);
    last_check_ = SteadyNow();
    return Deliver(std::move(reply));
}

bool ArrowReader::Deliver(Reply reply) {
    if ( ! reply.has_rows ) return true;
    const bool stream = Info().mode == zeek::input::MODE_STREAM;
    int64_t offset = 0; // row number within this delivery, for messages
    for ( ;; ) {
        for ( const auto& batch : reply.batches ) {
            std::string error;
            if ( ! rows_->Check(*batch, &error) ) return Failed(error);
            for ( int64_t row = 0; row < batch->length; row++ ) {
                if ( (offset + row) % rows_between_looks == 0 ) KeepPace();
                zeek::threading::Value** vals = rows_->Row(*batch, row, &error);
                if ( ! vals ) {
                    // Like a bad line for the ASCII reader: the row is skipped, the rest still arrives.
                    Warning(Fmt("Arrow reader for '%s' (source '%s'): row %lld: %s; row skipped", Info().name,
                                Info().source, static_cast<long long>(offset + row + 1), error.c_str()));
                    continue;
                }
                if ( stream ) Put(vals);
                else SendEntry(vals);
            }
            offset += batch->length;
        }
        if ( ! reply.more ) break;
        // The next piece of this delivery: JS reads it from the source while this one was turned into values.
        reply.batches.clear();
        auto work = std::make_unique<Work>();
        work->kind = Work::Kind::ReaderNext;
        reply = Call(std::move(work));
        if ( ! reply.ok ) return Failed(reply.error);
        if ( ! reply.has_rows ) break;
    }
    if ( stream ) EndOfData();
    else EndCurrentSend();
    return true;
}

void ArrowReader::KeepPace() {
    Stats stats;
    for ( ;; ) {
        GetStats(&stats);
        if ( stats.pending_out < max_queued_rows || Killed() ) return;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

bool ArrowReader::DoUpdate() {
    if ( abandoned_ ) return false;
    auto work = std::make_unique<Work>();
    work->kind = Work::Kind::ReaderUpdate;
    Reply reply = Call(std::move(work));
    if ( ! reply.ok ) return Failed(reply.error);
    return Deliver(std::move(reply));
}

bool ArrowReader::DoHeartbeat(double network_time, double current_time) {
    if ( Info().mode == zeek::input::MODE_MANUAL ) return true;
    if ( abandoned_ ) return false;
    // Heartbeats come once per second of network time (thousands a second reading a trace): check by the clock.
    const double now = SteadyNow();
    if ( now - last_check_ < check_interval_ ) return true;
    last_check_ = now;
    auto work = std::make_unique<Work>();
    work->kind = Work::Kind::ReaderHeartbeat;
    work->network_time = network_time;
    work->current_time = current_time;
    Reply reply = Call(std::move(work));
    if ( ! reply.ok ) return Failed(reply.error);
    return Deliver(std::move(reply));
}

void ArrowReader::DoClose() {
    if ( closed_ || ! runtime_ || abandoned_ ) return;
    closed_ = true;
    auto work = std::make_unique<Work>();
    work->kind = Work::Kind::ReaderClose;
    Reply reply = Call(std::move(work));
    if ( reply.ok ) return;
    const std::string message = Fmt("Arrow reader for '%s': closing: %s", Info().name, reply.error.c_str());
    // Readers close at exit, when Zeek's reporter can no longer take a thread's message (AtExit.h).
    if ( ZeekExiting() )
        TellOnStderr("warning", Name(), message);
    else
        Warning(message.c_str());
}

} // namespace zeek_arrow
