// What Zeek's threads hand to the Node thread, and what comes back.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace zeek_arrow {

// One node of the Arrow schema that the TypeScript mapping gives a log:
// a column (leaf: field_index names the Zeek field), a record (+s) or a list (+l).
struct SchemaNode {
    std::string name;
    std::string format;
    int64_t flags = 0;
    int field_index = -1;
    std::vector<std::unique_ptr<SchemaNode>> children;
};

// An Arrow buffer built on a Zeek thread; absent stands for a null buffer.
struct Buffer {
    bool present = false;
    std::vector<uint8_t> bytes;
};

// A built column (or, at the top, the record batch as a struct), handed to JS
// without a copy and freed once JS is done with it.
struct SealedColumn {
    int64_t length = 0;
    int64_t null_count = 0;
    std::vector<Buffer> buffers;
    std::vector<std::unique_ptr<SealedColumn>> children;
};

// JS's answer to a piece of work.
struct Reply {
    bool ok = true;
    bool late = false; // no answer within the deadline (JS may still be running it)
    std::string error;
    // writer init: what to build, and how much of it at a time
    std::unique_ptr<SchemaNode> schema;
    int64_t batch_rows = 0;
    int64_t max_pending = 0;
    // writer rotate: the file the log was rotated to (none for a table)
    std::optional<std::string> new_name;
    std::optional<std::string> old_name;
    // reader init, update, heartbeat and next: rows in the reader layout (ts/input/reader-layout.ts), if any,
    // a piece at a time: `more` when JS has more of this delivery (asked for with ReaderNext)
    bool has_rows = false;
    bool more = false;
    std::vector<std::unique_ptr<SealedColumn>> batches;
};

// Seconds on a clock that never jumps (deadlines, batch age).
inline double SteadyNow() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// When a piece of work was posted and when the Node thread took it up: a deadline counts from the
// start, so work queued behind another writer's slow JavaScript is not timed out for it.
struct WorkClock {
    double posted = SteadyNow();
    std::atomic<double> started{0};

    // The moment the work is late: `timeout` after it started, or (never started) twice that after it was posted.
    // Half a second more for the waiting Zeek thread, so that JavaScript still running at `timeout` is stopped
    // by the watchdog first (NodeRuntime), which says why.
    double Deadline(double timeout) const {
        const double s = started.load();
        return (s > 0 ? s + timeout : posted + 2 * timeout) + 0.5;
    }
};

// A reply a Zeek thread waits for.
class Completion {
public:
    void Fulfil(Reply reply) {
        std::lock_guard<std::mutex> lock(mutex_);
        reply_ = std::move(reply);
        done_ = true;
        cv_.notify_all();
    }

    // JS's reply, or an error reply when none comes within `timeout` seconds of the work starting.
    Reply Wait(const WorkClock& clock, double timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        for ( ;; ) {
            if ( done_ ) return std::move(reply_);
            const double now = SteadyNow();
            const double deadline = clock.Deadline(timeout);
            if ( now >= deadline ) break;
            // The start is set on the Node thread without this lock: look again at least 4 times a second.
            cv_.wait_for(lock, std::chrono::duration<double>(std::min(deadline - now, 0.25)));
        }
        Reply late;
        late.ok = false;
        late.late = true;
        late.error = "no answer from TypeScript within " + FormatSeconds(timeout);
        return late;
    }

    static std::string FormatSeconds(double seconds) {
        char text[32];
        snprintf(text, sizeof(text), "%g s", seconds);
        return text;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    Reply reply_;
};

struct LogField {
    std::string name;
    std::string type; // as in a log's #types: count, set[string], ...
};

// A field an input stream asks a reader for.
struct ReaderField {
    std::string name;
    std::string type;        // count, set[string], ...
    std::string proto_column; // a port's &type_column (Zeek's secondary name)
    bool optional = false;
};

struct Work {
    enum class Kind {
        WriterInit, WriterWrite, WriterSetBuf, WriterFlush, WriterRotate, WriterFinish, WriterHeartbeat,
        ReaderInit, ReaderUpdate, ReaderHeartbeat, ReaderNext, ReaderClose, Shutdown,
        // Zeek gave up on this writer or reader: JS answers its queued work with an error and forgets it.
        WriterAbandon, ReaderAbandon
    };

    bool ForReader() const {
        return kind == Kind::ReaderInit || kind == Kind::ReaderUpdate || kind == Kind::ReaderHeartbeat ||
               kind == Kind::ReaderNext || kind == Kind::ReaderClose || kind == Kind::ReaderAbandon;
    }

    Kind kind = Kind::Shutdown;
    uint64_t writer = 0; // the writer's or the reader's number

    // WriterInit
    std::string path;
    std::string filter;
    double rotation_interval = 0;
    double rotation_base = 0;
    std::map<std::string, std::string> config;
    std::vector<LogField> fields;

    // ReaderInit (config above)
    std::string source;
    std::string stream_name;
    std::string mode; // manual, reread, stream
    std::vector<ReaderField> reader_fields;

    // WriterWrite
    std::unique_ptr<SealedColumn> batch;

    // WriterSetBuf
    bool enabled = false;

    // WriterRotate
    std::string rotated_path;
    double open = 0;
    double close = 0;
    bool terminating = false;

    double network_time = 0;
    double current_time = 0;

    // Shutdown and abandon: why, for messages
    std::string reason;

    // How long the JavaScript may take (the writer's or reader's reply_timeout), and when it started.
    double timeout = 600;
    std::shared_ptr<WorkClock> clock = std::make_shared<WorkClock>();

    // Runs on the Node thread with JS's answer; the work is freed after it.
    std::function<void(Reply&&)> on_reply;
};

} // namespace zeek_arrow
