#include "ArrowWriter.h"

#include <atomic>

#include <zeek/RunState.h>

#include "NodeRuntime.h"
#include "ScriptOptions.h"

namespace zeek_arrow {

namespace {

std::atomic<uint64_t> next_writer{1};

// A batch's text stays well below 2 GiB (Arrow's int32 offsets).
constexpr int64_t kMaxBatchBytes = 256 << 20;

// Batches waiting this long (seconds of wall clock) go out at the next heartbeat.
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
    if ( auto it = options_.find("reply_timeout"); it != options_.end() ) reply_timeout_ = std::stod(it->second);
}

std::unique_ptr<Work> ArrowWriter::NewWork(Work::Kind kind) {
    auto work = std::make_unique<Work>();
    work->kind = kind;
    work->writer = id_;
    return work;
}

Reply ArrowWriter::Call(std::unique_ptr<Work> work) {
    return runtime_->Call(std::move(work), reply_timeout_);
}

bool ArrowWriter::Failed(const std::string& what, const std::string& error) {
    Error(Fmt("Arrow writer for '%s' %s: %s", Info().path, what.c_str(), error.c_str()));
    return false;
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
    for ( int i = 0; i < num_fields; i++ ) work->fields.push_back({fields[i]->name, fields[i]->TypeName()});

    Reply reply = Call(std::move(work));
    if ( ! reply.ok ) return Failed("failed to start", reply.error);
    builder_ = ColumnBuilder::ForBatch(*reply.schema, num_fields, fields, &error);
    if ( ! builder_ ) return Failed("cannot build its schema", error);
    batch_rows_ = reply.batch_rows > 0 ? reply.batch_rows : 10000;
    max_pending_ = reply.max_pending > 0 ? reply.max_pending : 4;
    last_sent_ = WallClock();
    return true;
}

bool ArrowWriter::DoWrite(int, const zeek::threading::Field* const*, zeek::threading::Value** vals) {
    // A batch that failed disables the writer now, while Zeek can still log why.
    if ( write_failed_.load(std::memory_order_relaxed) ) {
        std::lock_guard<std::mutex> lock(mutex_);
        return Failed("was disabled", write_error_);
    }
    builder_->AppendRecord(vals);
    if ( builder_->Length() >= batch_rows_ || builder_->Bytes() >= kMaxBatchBytes ) return SendBatch();
    return true;
}

bool ArrowWriter::SendBatch() {
    {
        std::unique_lock<std::mutex> lock(mutex_);
        // Backpressure: a slow sink holds this writer thread instead of growing memory.
        if ( ! cv_.wait_for(lock, std::chrono::duration<double>(reply_timeout_),
                            [this] { return pending_ < max_pending_ || ! write_error_.empty(); }) )
            WriteFailed("no batch written by the TypeScript writer within " + std::to_string(static_cast<int>(reply_timeout_)) + " s");
        if ( ! write_error_.empty() ) return Failed("was disabled", write_error_);
        if ( builder_->Length() == 0 ) return true;
        ++pending_;
    }
    auto work = NewWork(Work::Kind::WriterWrite);
    work->batch = builder_->Seal();
    work->on_reply = [this](Reply&& r) {
        std::lock_guard<std::mutex> lock(mutex_);
        --pending_;
        if ( ! r.ok ) WriteFailed(r.error);
        cv_.notify_all();
    };
    last_sent_ = WallClock();
    runtime_->Post(std::move(work));
    return true;
}

void ArrowWriter::WriteFailed(const std::string& error) {
    if ( ! write_error_.empty() ) return; // the first failure is the one to tell
    write_error_ = error;
    write_failed_ = true;
}

bool ArrowWriter::WaitForWrites() {
    std::unique_lock<std::mutex> lock(mutex_);
    if ( ! cv_.wait_for(lock, std::chrono::duration<double>(reply_timeout_), [this] { return pending_ == 0; }) &&
         write_error_.empty() )
        WriteFailed("batches still unwritten by the TypeScript writer after " + std::to_string(static_cast<int>(reply_timeout_)) + " s");
    return write_error_.empty();
}

bool ArrowWriter::DoSetBuf(bool enabled) {
    auto work = NewWork(Work::Kind::WriterSetBuf);
    work->enabled = enabled;
    Reply reply = Call(std::move(work));
    return reply.ok || Failed("failed to set buffering", reply.error);
}

bool ArrowWriter::DoFlush(double network_time) {
    if ( ! SendBatch() ) return false;
    if ( ! WaitForWrites() ) return Failed("was disabled", write_error_);
    auto work = NewWork(Work::Kind::WriterFlush);
    work->network_time = network_time;
    Reply reply = Call(std::move(work));
    return reply.ok || Failed("failed to flush", reply.error);
}

bool ArrowWriter::DoRotate(const char* rotated_path, double open, double close, bool terminating) {
    if ( ! SendBatch() ) return false;
    if ( ! WaitForWrites() ) return Failed("was disabled", write_error_);
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
    const bool sent = SendBatch();
    const bool written = WaitForWrites();
    auto work = NewWork(Work::Kind::WriterFinish);
    work->network_time = network_time;
    Reply reply = Call(std::move(work));
    if ( ! reply.ok ) return Failed("failed to finish", reply.error);
    return sent && (written || Failed("was disabled", write_error_));
}

bool ArrowWriter::DoHeartbeat(double network_time, double current_time) {
    // Only in real time (see the constructor): a failed writer is reported while Zeek runs, and rows
    // trickling in still reach the sink within about a second.
    if ( write_failed_.load(std::memory_order_relaxed) ) {
        std::lock_guard<std::mutex> lock(mutex_);
        return Failed("was disabled", write_error_);
    }
    if ( builder_ && builder_->Length() > 0 && WallClock() - last_sent_ >= kMaxBatchAge ) return SendBatch();
    return true;
}

} // namespace zeek_arrow
