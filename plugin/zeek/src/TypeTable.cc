#include "TypeTable.h"

#include <zeek/Type.h>
#include <zeek/threading/SerialTypes.h>

#include "ColumnBuilder.h"
#include "RowValues.h"

namespace zeek_arrow {

namespace {

using zeek::threading::Field;
using zeek::threading::Value;

struct TypeRow {
    std::string name;
    bool container = false;
    std::string writer;  // Arrow format of the record batches
    std::string reader;  // Arrow format of the reader layout ("" where readers cannot give it)
    bool reader_micros = false;
};

// The Zeek type a table name stands for (a set is a table to Zeek).
bool TagOf(const std::string& name, zeek::TypeTag* tag) {
    if ( name == "set" ) {
        *tag = zeek::TYPE_TABLE;
        return true;
    }
    for ( int t = 0; t <= static_cast<int>(zeek::TYPE_ERROR); t++ )
        if ( name == zeek::type_name(static_cast<zeek::TypeTag>(t)) ) {
            *tag = static_cast<zeek::TypeTag>(t);
            return true;
        }
    return false;
}

// A field of the type (a container's items are strings: "u" in both layouts).
Field FieldOf(const TypeRow& row, zeek::TypeTag tag) {
    return Field(row.name.c_str(), nullptr, tag, row.container ? zeek::TYPE_STRING : zeek::TYPE_VOID, true);
}

// ColumnBuilder refuses a field whose Arrow format is not the one it builds.
std::string WriterProblem(const TypeRow& row, zeek::TypeTag tag) {
    SchemaNode batch;
    batch.format = "+s";
    auto column = std::make_unique<SchemaNode>();
    column->name = row.name;
    column->format = row.writer;
    column->field_index = 0;
    if ( row.container ) {
        auto item = std::make_unique<SchemaNode>();
        item->name = "item";
        item->format = "u";
        column->children.push_back(std::move(item));
    }
    batch.children.push_back(std::move(column));
    const Field field = FieldOf(row, tag);
    const Field* fields[] = {&field};
    std::string error;
    return ColumnBuilder::ForBatch(batch, 1, fields, &error) ? "" : error;
}

// One row of the reader layout the table gives: `value` is 2 (seconds, µs where reader_micros).
std::unique_ptr<SealedColumn> ReaderColumn(const std::string& format, bool micros, size_t short_by) {
    auto column = std::make_unique<SealedColumn>();
    column->length = 1;
    column->buffers.emplace_back(); // no validity: the value is set
    auto values = [&](const void* data, size_t size) {
        Buffer b;
        b.present = true;
        b.bytes.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size - short_by);
        column->buffers.push_back(std::move(b));
    };
    if ( format == "b" ) {
        const uint8_t bits = 1;
        values(&bits, 1);
    }
    else if ( format == "l" || format == "L" ) {
        const int64_t n = micros ? 2000000 : 2;
        values(&n, 8);
    }
    else if ( format == "g" ) {
        const double d = 2.0;
        values(&d, 8);
    }
    else if ( format == "u" || format == "+l" ) {
        const int32_t offsets[] = {0, 0}; // empty text, empty list
        values(offsets, sizeof offsets);
        if ( format == "u" ) column->buffers.emplace_back(Buffer{true, {}});
        else {
            auto item = std::make_unique<SealedColumn>();
            item->buffers.emplace_back();
            item->buffers.emplace_back(Buffer{true, {0, 0, 0, 0}});
            item->buffers.emplace_back(Buffer{true, {}});
            column->children.push_back(std::move(item));
        }
    }
    return column;
}

// The number a Zeek value of a numeric type holds (as Zeek's threading::Value keeps each type).
double NumberOf(const Value& v) {
    switch ( v.type ) {
        case zeek::TYPE_BOOL:
        case zeek::TYPE_INT: return static_cast<double>(v.val.int_val);
        case zeek::TYPE_COUNT: return static_cast<double>(v.val.uint_val);
        default: return v.val.double_val;
    }
}

// RowValues takes the table's layout for the type: its buffers, their widths, and what a number means.
std::string ReaderProblem(const TypeRow& row, zeek::TypeTag tag) {
    const Field field = FieldOf(row, tag);
    const Field* fields[] = {&field};
    const RowValues values(nullptr, 1, fields);
    const bool fixed = row.reader == "b" || row.reader == "l" || row.reader == "L" || row.reader == "g";
    auto batch = [&](size_t short_by) {
        SealedColumn b;
        b.length = 1;
        b.children.push_back(ReaderColumn(row.reader, row.reader_micros, short_by));
        return b;
    };
    std::string error;
    if ( row.reader.empty() ) {
        // Readers cannot give it in TypeScript: the plugin must not take it as text either.
        SealedColumn text;
        text.length = 1;
        text.children.push_back(ReaderColumn("u", false, 0));
        return values.Check(text, &error) ? "readers cannot give it in TypeScript, but the plugin reads it as text" : "";
    }
    const SealedColumn whole = batch(0);
    if ( ! values.Check(whole, &error) ) return "the plugin does not read the layout '" + row.reader + "' of it: " + error;
    if ( fixed && values.Check(batch(1), &error) )
        return "the plugin reads fewer bytes a value than the layout '" + row.reader + "' has";
    if ( ! fixed ) return "";
    Value** vals = values.Row(whole, 0, &error);
    if ( ! vals ) return "the plugin cannot read a value of the layout '" + row.reader + "': " + error;
    const double got = NumberOf(*vals[0]);
    const double wanted = row.name == "bool" ? 1 : 2;
    delete vals[0];
    delete[] vals;
    if ( got != wanted )
        return "the plugin reads the layout '" + row.reader + "'" + (row.reader_micros ? " (µs)" : "") + " as " +
               std::to_string(got) + " where TypeScript means " + std::to_string(wanted);
    return "";
}

std::string Text(const Napi::Object& o, const char* key) {
    const Napi::Value v = o.Get(key);
    return v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
}

} // namespace

std::string CheckTypeTable(const Napi::Value& rows) {
    if ( ! rows.IsArray() ) return "the host gave no table of Zeek types";
    const Napi::Array array = rows.As<Napi::Array>();
    std::string problems;
    for ( uint32_t i = 0; i < array.Length(); i++ ) {
        if ( ! array.Get(i).IsObject() ) return "row " + std::to_string(i) + " of the table of Zeek types is not an object";
        const Napi::Object o = array.Get(i).As<Napi::Object>();
        TypeRow row{Text(o, "name"), o.Get("container").ToBoolean().Value(), Text(o, "writer"), Text(o, "reader"),
                    o.Get("readerMicros").ToBoolean().Value()};
        zeek::TypeTag tag;
        std::string problem;
        if ( ! TagOf(row.name, &tag) ) problem = "Zeek has no type of that name";
        else if ( std::string writer = WriterProblem(row, tag); ! writer.empty() ) problem = "writer: " + writer;
        else if ( std::string reader = ReaderProblem(row, tag); ! reader.empty() ) problem = "reader: " + reader;
        if ( ! problem.empty() )
            problems += (problems.empty() ? "" : "; ") + std::string("Zeek type '") + row.name + "' of ts/schema/zeek-types.ts: " + problem;
    }
    return problems.empty() ? "" : "the plugin's C++ disagrees with the table of Zeek types: " + problems;
}

} // namespace zeek_arrow
