// The log writer Zeek knows as Arrow (Log::WRITER_ARROW): builds Arrow
// columns on Zeek's writer thread and hands the batches to the TypeScript
// writer backend on the embedded Node runtime, which decides where they go.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <zeek/logging/WriterBackend.h>

#include "ColumnBuilder.h"
#include "Work.h"

namespace zeek_arrow {

class NodeRuntime;

class ArrowWriter : public zeek::logging::WriterBackend {
public:
    explicit ArrowWriter(zeek::logging::WriterFrontend* frontend);
    ~ArrowWriter() override = default;

    static zeek::logging::WriterBackend* Instantiate(zeek::logging::WriterFrontend* frontend) {
        return new ArrowWriter(frontend);
    }

protected:
    bool DoInit(const WriterInfo& info, int num_fields, const zeek::threading::Field* const* fields) override;
    bool DoWrite(int num_fields, const zeek::threading::Field* const* fields, zeek::threading::Value** vals) override;
    bool DoSetBuf(bool enabled) override;
    bool DoFlush(double network_time) override;
    bool DoRotate(const char* rotated_path, double open, double close, bool terminating) override;
    bool DoFinish(double network_time) override;
    bool DoHeartbeat(double network_time, double current_time) override;

private:
    std::unique_ptr<Work> NewWork(Work::Kind kind);
    // Hands the rows built so far to JS; waits while too many batches are in flight.
    bool SendBatch();
    // Waits until JS has written every batch handed over; false if one failed.
    bool WaitForWrites();
    // Posts work and waits for JS's reply.
    Reply Call(std::unique_ptr<Work> work);
    bool Failed(const std::string& what, const std::string& error);
    // Records the first failed write (called with mutex_ held).
    void WriteFailed(const std::string& error);

    std::map<std::string, std::string> options_; // LogArrow::* options, read on the main thread
    uint64_t id_;
    NodeRuntime* runtime_ = nullptr;
    std::unique_ptr<ColumnBuilder> builder_;
    int64_t batch_rows_ = 0;
    int64_t max_pending_ = 0;
    double reply_timeout_ = 600; // LogArrow::reply_timeout
    double last_sent_ = 0;

    std::mutex mutex_;
    std::condition_variable cv_;
    int64_t pending_ = 0;
    std::string write_error_;
    std::atomic<bool> write_failed_{false}; // read on every record, without the lock
};

} // namespace zeek_arrow
