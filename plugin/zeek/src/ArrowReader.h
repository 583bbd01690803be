// The input reader Zeek knows as Arrow (Input::READER_ARROW): a TypeScript
// reader backend on the embedded Node runtime produces Arrow record batches
// (from DuckDB, Parquet, Arrow IPC or a user's module); this thread turns
// their rows into Zeek values for the input framework.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <zeek/input/ReaderBackend.h>

#include "RowValues.h"
#include "Work.h"

namespace zeek_arrow {

class NodeRuntime;

class ArrowReader : public zeek::input::ReaderBackend {
public:
    explicit ArrowReader(zeek::input::ReaderFrontend* frontend);
    ~ArrowReader() override = default;

    static zeek::input::ReaderBackend* Instantiate(zeek::input::ReaderFrontend* frontend) {
        return new ArrowReader(frontend);
    }

protected:
    bool DoInit(const ReaderInfo& info, int num_fields, const zeek::threading::Field* const* fields) override;
    void DoClose() override;
    bool DoUpdate() override;
    bool DoHeartbeat(double network_time, double current_time) override;

private:
    // Posts work and waits for JS's reply.
    Reply Call(std::unique_ptr<Work> work);
    // Hands the reply's rows to Zeek, and the pieces JS has after them, each as it comes: the whole
    // source (MANUAL, REREAD) or what is new (STREAM).
    bool Deliver(Reply reply);
    // Waits while many rows sent are still queued for Zeek's main thread.
    void KeepPace();
    bool Failed(const std::string& error);

    std::map<std::string, std::string> options_; // InputArrow::* options, read on the main thread
    uint64_t id_;
    NodeRuntime* runtime_ = nullptr;
    std::unique_ptr<RowValues> rows_;
    double reply_timeout_ = 600;  // InputArrow::reply_timeout, or the stream's $config["reply_timeout"]
    double check_interval_ = 1;   // InputArrow::check_interval
    double last_check_ = 0;       // steady clock
    bool closed_ = false;
    bool abandoned_ = false;      // JS did not answer in time and was told to forget this reader
};

} // namespace zeek_arrow
