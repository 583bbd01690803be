// What Zeek's threads hand to the Node thread, and what comes back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
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
    std::string error;
    // writer init: what to build, and how much of it at a time
    std::unique_ptr<SchemaNode> schema;
    int64_t batch_rows = 0;
    int64_t max_pending = 0;
    // writer rotate: the file the log was rotated to (none for a table)
    std::optional<std::string> new_name;
    std::optional<std::string> old_name;
    // reader init, update and heartbeat: rows in the reader layout (ts/input/reader-layout.ts), if any
    bool has_rows = false;
    std::vector<std::unique_ptr<SealedColumn>> batches;
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

    // JS's reply, or an error reply when none comes within `timeout` seconds.
    Reply Wait(double timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        if ( ! cv_.wait_for(lock, std::chrono::duration<double>(timeout), [this] { return done_; }) ) {
            Reply late;
            late.ok = false;
            late.error = "no answer from TypeScript within " + std::to_string(static_cast<int>(timeout)) + " s";
            return late;
        }
        return std::move(reply_);
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
        ReaderInit, ReaderUpdate, ReaderHeartbeat, ReaderClose, Shutdown
    };

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

    // Runs on the Node thread with JS's answer; the work is freed after it.
    std::function<void(Reply&&)> on_reply;
};

} // namespace zeek_arrow
