// Zeek values from the Arrow columns a TypeScript reader produced, row by row,
// for the input framework. The columns are in the reader layout that
// ts/input/reader-layout.ts gives each Zeek type: numbers in binary, time and
// interval as int64 µs, and the text Zeek's ASCII reader would parse for
// ports, addresses, subnets, patterns, enums and strings.
#pragma once

#include <memory>
#include <string>

#include <zeek/threading/MsgThread.h>
#include <zeek/threading/SerialTypes.h>
#include <zeek/threading/formatters/Ascii.h>

#include "Work.h"

namespace zeek_arrow {

class RowValues {
public:
    RowValues(zeek::threading::MsgThread* thread, int num_fields, const zeek::threading::Field* const* fields);

    // Whether a batch has the shape the fields ask for: else false and *error (never a crash).
    bool Check(const SealedColumn& batch, std::string* error) const;

    // One row's values (Zeek takes them), or nullptr and *error naming the column.
    zeek::threading::Value** Row(const SealedColumn& batch, int64_t row, std::string* error) const;

private:
    bool CheckColumn(const SealedColumn& column, zeek::TypeTag type, zeek::TypeTag subtype, std::string* error) const;
    zeek::threading::Value* ValueAt(const SealedColumn& column, int64_t row, const zeek::threading::Field& field,
                                  zeek::TypeTag type, std::string* error) const;

    int num_fields_;
    const zeek::threading::Field* const* fields_;
    std::unique_ptr<zeek::threading::formatter::Ascii> text_;
};

} // namespace zeek_arrow
