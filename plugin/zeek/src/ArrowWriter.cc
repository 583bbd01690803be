#include "ArrowWriter.h"

#include <atomic>
#include <cstdio>

#include <zeek/RunState.h>

#include "AtExit.h"
#include "NodeRuntime.h"
#include "ScriptOptions.h"

namespace zeek_arrow {

namespace {

std::atomic<uint64_t> next_writer{1};

// A batch's text stays well below 2 GiB (Arrow's int32 offsets).
constexpr int64_t kMaxBatchBytes = 256 << 20;

// Batches waiting this long (seconds, steady clock) go out at the next heartbeat.
constexpr double kMaxBatchAge = 1.0;

} // namespace

// Heartbeats only send partial batches on in real time (a live capture, or a trace replayed in real time;
// Zeek settles both before any writer starts). Reading a trace, Zeek would wake every writer thread once per
// second of network time for nothing (13,900 times each over the 543 MB benchmark capture, 2 s of the run);
// its ASCII writer declines them the same way.
ArrowWriter::ArrowWriter(zeek::logging::WriterFrontend* frontend)
    : zeek::logging::WriterBackend(frontend, zeek::run_state::reading_live || zeek::run_state::pseudo_realtime > 0),
      options_(ScriptOptions("LogArrow")),
      id_(next_writer++) {
    reply_timeout_ = ParseSeconds(options_, "reply_timeout", reply_timeout_);
}

void ArrowWriter::Ledger::Fail(const std::string& why) {
    if ( ! error.empty() ) return; // the first failure is the one to tell
    error = why;
    failed = true;
    cv.notify_all();
}

bool ArrowWriter::Ledger::WaitUntil(std::unique_lock<std::mutex>& lock, double timeout, const std::function<bool()>& done) {
    for ( ;; ) {
        if ( done() || in_flight.empty() ) return done();
        const double now = SteadyNow();
        // JS writes a log's batches in order: the oldest is the one it is working on.
        const double deadline = in_flight.begin()->second.clock->Deadline(timeout);
        if ( now >= deadline ) return false;
        // A batch's start is set on the Node thread without this lock: look again at least 4 times a second.
        cv.wait_for(lock, std::chrono::duration<double>(std::min(deadline - now, 0.25)));
    }
}

std::unique_ptr<Work> ArrowWriter::NewWork(Work::Kind kind) {
    auto work = std::make_unique<Work>();
    work->kind = kind;
    work->writer = id_;
    work->timeout = reply_timeout_;
    return work;
}

Reply ArrowWriter::Call(std::unique_ptr<Work> work) {
    Reply reply = runtime_->Call(std::move(work));
    if ( reply.late ) Abandon(reply.error);
    return reply;
}

void ArrowWriter::Abandon(const std::string& why) {
    if ( abandoned_ || ! runtime_ ) return;
    abandoned_ = true;
    auto work = NewWork(Work::Kind::WriterAbandon);
    work->reason = why;
    runtime_->Post(std::move(work));
}

bool ArrowWriter::Failed(const std::string& what, const std::string& error) {
    const std::string message = Fmt("Arrow writer for '%s' %s: %s", Info().path, what.c_str(), error.c_str());
    if ( ! ZeekExiting() ) {
        Error(message.c_str());
        return false; // Zeek disables the writer
    }
    // At exit Zeek would take both the message and a false to reporter.log after its threads have ended (AtExit.h).
    TellOnStderr("error", Name(), message);
    told_at_exit_ = reported_ = true;
    std::lock_guard<std::mutex> lock(ledger_->mutex);
    ledger_->Fail(message); // the records still to come are refused without a word (DoWrite)
    return true;
}

bool ArrowWriter::Disabled() {
    if ( reported_ ) return told_at_exit_;
    reported_ = true;
    std::string message;
    {
        std::unique_lock<std::mutex> lock(ledger_->mutex);
        // After a failed write JS answers the batches behind it at once: wait for them, to count them.
        // A writer given up for its silence is not waited for again.
        if ( ! abandoned_ ) ledger_->WaitUntil(lock, reply_timeout_, [this] { return ledger_->in_flight.empty(); });
        for ( const auto& [n, batch] : ledger_->in_flight ) {
            ledger_->lost_batches++;
            ledger_->lost_records += batch.records;
        }
        ledger_->in_flight.clear(); // replies still to come are not counted twice
        message = ledger_->error;
        if ( ledger_->lost_batches > 0 )
            message += "; " + std::to_string(ledger_->lost_batches) + " batches (" + std::to_string(ledger_->lost_records) +
                       " records) in flight were lost";
    }
    return Failed("was disabled", message);
}

bool ArrowWriter::DoInit(const WriterInfo& info, int num_fields, const zeek::threading::Field* const* fields) {
    std::string error;
    runtime_ = NodeRuntime::Get(&error);
    if ( ! runtime_ ) return Failed("cannot start", error);

    auto work = NewWork(Work::Kind::WriterInit);
    work->path = info.path;
    work->filter = info.filter_name;
    work->rotation_interval = info.rotation_interval;
    work->rotation_base = info.rotation_base;
    work->network_time = info.network_time;
    work->config = options_;
    for ( const auto& [k, v] : info.config ) work->config[k] = v; // a filter's $config wins
    reply_timeout_ = work->timeout = ParseSeconds(work->config, "reply_timeout", reply_timeout_);
    for ( int i = 0; i < num_fields; i++ ) work->fields.push_back({fields[i]->name, fields[i]->TypeName()});

    Reply reply = Call(std::move(work));
    if ( ! reply.ok ) return Failed("failed to start", reply.error);
    builder_ = ColumnBuilder::ForBatch(*reply.schema, num_fields, fields, &error);
    if ( ! builder_ ) return Failed("cannot build its schema", error);
    batch_rows_ = reply.batch_rows > 0 ? reply.batch_rows : 10000;
    max_pending_ = reply.max_pending > 0 ? reply.max_pending : 4;
    last_sent_ = SteadyNow();
    return true;
}

bool ArrowWriter::DoWrite(int, const zeek::threading::Field* const*, zeek::threading::Value** vals) {
    // A batch that failed disables the writer now, while Zeek can still log why.
    if ( ledger_->failed.load(std::memory_order_relaxed) ) return Disabled();
    builder_->AppendRecord(vals);
    // On stderr, not Zeek's reporter: at shutdown a reporter.log writer would start after the threads ended (Zeek aborts).
    for ( const auto& why : builder_->TakeRejected() ) std::fprintf(stderr, "warning: Arrow writer for '%s': %s\n", Info().path, why.c_str());
    if ( builder_->Length() >= batch_rows_ || builder_->Bytes() >= kMaxBatchBytes ) return SendBatch();
    return true;
}

bool ArrowWriter::SendBatch() {
    if ( ! builder_ ) return ! ledger_->failed || Disabled();
    const int64_t records = builder_->Length();
    auto work = NewWork(Work::Kind::WriterWrite);
    uint64_t number;
    {
        std::unique_lock<std::mutex> lock(ledger_->mutex);
        // Backpressure: a slow sink holds this writer thread instead of growing memory.
        if ( records > 0 &&
             ! ledger_->WaitUntil(lock, reply_timeout_, [this] {
                   return static_cast<int64_t>(ledger_->in_flight.size()) < max_pending_ || ledger_->failed;
               }) ) {
            ledger_->Fail("no batch written by the TypeScript writer within " + Completion::FormatSeconds(reply_timeout_));
            lock.unlock();
            Abandon(ledger_->error);
            return Disabled();
        }
        if ( ledger_->failed ) {
            lock.unlock();
            return Disabled();
        }
        if ( records == 0 ) return true;
        number = ledger_->next_batch++;
        ledger_->in_flight[number] = Ledger::Batch{work->clock, records};
    }
    work->batch = builder_->Seal();
    // Holds the ledger, not the writer: the reply may come after Zeek deleted the writer.
    work->on_reply = [ledger = ledger_, number](Reply&& r) {
        std::lock_guard<std::mutex> lock(ledger->mutex);
        auto it = ledger->in_flight.find(number);
        if ( it == ledger->in_flight.end() ) return; // already counted as lost
        if ( ! r.ok ) {
            ledger->lost_batches++;
            ledger->lost_records += it->second.records;
            ledger->Fail(r.error);
        }
        ledger->in_flight.erase(it);
        ledger->cv.notify_all();
    };
    last_sent_ = SteadyNow();
    runtime_->Post(std::move(work));
    return true;
}

bool ArrowWriter::WaitForWrites() {
    std::unique_lock<std::mutex> lock(ledger_->mutex);
    if ( ! ledger_->WaitUntil(lock, reply_timeout_, [this] { return ledger_->in_flight.empty() || ledger_->failed; }) ) {
        ledger_->Fail("batches still unwritten by the TypeScript writer after " + Completion::FormatSeconds(reply_timeout_));
        lock.unlock();
        Abandon(ledger_->error);
        return Disabled();
    }
    if ( ! ledger_->failed ) return true;
    lock.unlock();
    return Disabled();
}

bool ArrowWriter::DoSetBuf(bool enabled) {
    if ( told_at_exit_ ) return true;
    auto work = NewWork(Work::Kind::WriterSetBuf);
    work->enabled = enabled;
    Reply reply = Call(std::move(work));
    return reply.ok || Failed("failed to set buffering", reply.error);
}

bool ArrowWriter::DoFlush(double network_time) {
    if ( told_at_exit_ ) return true;
    if ( ! SendBatch() || ! WaitForWrites() ) return false;
    auto work = NewWork(Work::Kind::WriterFlush);
    work->network_time = network_time;
    Reply reply = Call(std::move(work));
    return reply.ok || Failed("failed to flush", reply.error);
}

bool ArrowWriter::DoRotate(const char* rotated_path, double open, double close, bool terminating) {
    if ( told_at_exit_ ) return true;
    if ( ! SendBatch() || ! WaitForWrites() ) return false;
    auto work = NewWork(Work::Kind::WriterRotate);
    work->rotated_path = rotated_path;
    work->open = open;
    work->close = close;
    work->terminating = terminating;
    Reply reply = Call(std::move(work));
    if ( ! reply.ok ) return Failed("failed to rotate", reply.error);
    // A table has no file to rotate: nothing for a post-processor.
    if ( ! reply.new_name ) return FinishedRotation();
    return FinishedRotation(reply.new_name->c_str(), reply.old_name ? reply.old_name->c_str() : rotated_path, open,
                            close, terminating);
}

bool ArrowWriter::DoFinish(double network_time) {
    const bool written = SendBatch() && WaitForWrites();
    // JS has forgotten this writer, or (told at exit) finishes it when it closes the sinks.
    if ( abandoned_ || ! runtime_ || told_at_exit_ ) return written;
    // A writer that failed still finishes in JS, to release what it holds.
    auto work = NewWork(Work::Kind::WriterFinish);
    work->network_time = network_time;
    Reply reply = Call(std::move(work));
    if ( ! reply.ok && ! reported_ ) return Failed("failed to finish", reply.error);
    return written;
}

bool ArrowWriter::DoHeartbeat(double network_time, double current_time) {
    // Only in real time (see the constructor): a failed writer is reported while Zeek runs, and rows
    // trickling in still reach the sink within about a second.
    if ( told_at_exit_ ) return true;
    if ( ledger_->failed.load(std::memory_order_relaxed) ) return Disabled();
    if ( builder_ && builder_->Length() > 0 && SteadyNow() - last_sent_ >= kMaxBatchAge ) return SendBatch();
    return true;
}

} // namespace zeek_arrow
