// Arrow columns built from Zeek's log values on the writer thread, in the
// layout the TypeScript schema mapping chose (ts/schema/mapping.ts).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <zeek/threading/SerialTypes.h>

#include "Work.h"

namespace zeek_arrow {

class ColumnBuilder {
public:
    // A builder for a record batch of the given schema (a struct of columns), or
    // nullptr and *error when a field's Zeek type cannot become its Arrow format.
    static std::unique_ptr<ColumnBuilder> ForBatch(const SchemaNode& schema, int num_fields,
                                                   const zeek::threading::Field* const* fields, std::string* error);

    // Appends one log record.
    void AppendRecord(zeek::threading::Value** vals);

    // Why values of the records appended since the last call were logged as unset (a time or interval beyond
    // what 64-bit µs hold), one line each; empty when none were.
    std::vector<std::string> TakeRejected();

    int64_t Length() const { return length_; }

    // Bytes built so far (to seal a batch before text offsets could overflow).
    int64_t Bytes() const;

    // The rows built so far, moved out; the builder starts over.
    std::unique_ptr<SealedColumn> Seal();

private:
    enum class Kind { Bool, Int64, UInt64, UInt16, Double, Micros, Text, EscapedText, Addr, Subnet, List, Struct };

    static std::unique_ptr<ColumnBuilder> Make(const SchemaNode& node, zeek::TypeTag type, const std::string& field,
                                               const zeek::threading::Field* const* fields, int num_fields,
                                               std::string* error);

    void AppendValue(const zeek::threading::Value* v);
    void AppendNull();
    void SetValid(bool valid);
    void AppendText(const char* data, size_t size);
    void ShareRejected(std::shared_ptr<std::vector<std::string>> rejected);

    Kind kind_ = Kind::Struct;
    int field_index_ = -1;
    std::string field_;  // the log field's name, for what is rejected
    std::shared_ptr<std::vector<std::string>> rejected_;  // one list for the batch's builders
    int64_t length_ = 0;
    int64_t null_count_ = 0;
    std::vector<uint8_t> validity_;
    std::vector<uint8_t> values_;   // fixed-width values, bits, or text bytes
    std::vector<int32_t> offsets_;  // text and lists
    std::vector<std::unique_ptr<ColumnBuilder>> children_;
};

// Zeek's ASCII writer prints time and interval with modp_dtoa's 6-digit
// rounding; the same µs here make the Arrow and ASCII writers agree.
int64_t ZeekMicros(double seconds);

// Seconds a time or interval may have: its µs fit in 64 bits (DuckDB's TIMESTAMPTZ; ts/schema/zeek-types.ts MAX_SECONDS).
constexpr double kMaxSeconds = 9.2e12;

} // namespace zeek_arrow
