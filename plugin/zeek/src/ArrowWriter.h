// The log writer Zeek knows as Arrow (Log::WRITER_ARROW): builds Arrow
// columns on Zeek's writer thread and hands the batches to the TypeScript
// writer backend on the embedded Node runtime, which decides where they go.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
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
    // The batches handed to JS and what became of them. Replies hold it too: Zeek may delete the
    // writer (after a failed write, without DoFinish) while batches are still in flight.
    struct Ledger {
        struct Batch {
            std::shared_ptr<WorkClock> clock;
            int64_t records = 0;
        };
        std::mutex mutex;
        std::condition_variable cv;
        std::map<uint64_t, Batch> in_flight; // by batch number
        uint64_t next_batch = 0;
        int64_t lost_batches = 0;
        int64_t lost_records = 0;
        std::string error;
        std::atomic<bool> failed{false}; // read on every record, without the lock

        // Records the first failure (with mutex held).
        void Fail(const std::string& why);
        // Waits (mutex held) until `done`, or until the oldest batch in flight is late; false then.
        bool WaitUntil(std::unique_lock<std::mutex>& lock, double timeout, const std::function<bool()>& done);
    };

    std::unique_ptr<Work> NewWork(Work::Kind kind);
    // Hands the rows built so far to JS; waits while too many batches are in flight.
    bool SendBatch();
    // Waits until JS has written every batch handed over; false if one failed.
    bool WaitForWrites();
    // Posts work and waits for JS's reply.
    Reply Call(std::unique_ptr<Work> work);
    // Tells why the writer failed; what Zeek gets back: false (Zeek disables it), or at exit true (AtExit.h).
    bool Failed(const std::string& what, const std::string& error);
    // Reports the writer disabled, once its batches in flight have come back (or are late): how many were lost.
    bool Disabled();
    // Tells JS to answer this writer's queued work with an error and forget it.
    void Abandon(const std::string& why);

    std::map<std::string, std::string> options_; // LogArrow::* options, read on the main thread
    uint64_t id_;
    NodeRuntime* runtime_ = nullptr;
    std::unique_ptr<ColumnBuilder> builder_;
    int64_t batch_rows_ = 0;
    int64_t max_pending_ = 0;
    double reply_timeout_ = 600; // LogArrow::reply_timeout, or the filter's $config["reply_timeout"]
    double last_sent_ = 0;       // steady clock
    bool abandoned_ = false;
    bool reported_ = false;     // the writer's failure was told to Zeek
    bool told_at_exit_ = false; // ... on stderr, at exit: the writer takes nothing more and returns true to Zeek
    std::shared_ptr<Ledger> ledger_ = std::make_shared<Ledger>();
};

} // namespace zeek_arrow
