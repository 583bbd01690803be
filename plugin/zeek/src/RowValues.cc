#include "RowValues.h"

#include <arpa/inet.h>

#include <cstring>

namespace zeek_arrow {



namespace {

enum class Layout { Bits, Int64, UInt64, Double, Micros, Text, List, None };

Layout LayoutOf(zeek::TypeTag type) {
    switch ( type ) {
        case zeek::TYPE_BOOL: return Layout::Bits;
        case zeek::TYPE_INT: return Layout::Int64;
        case zeek::TYPE_COUNT: return Layout::UInt64;
        case zeek::TYPE_DOUBLE: return Layout::Double;
        case zeek::TYPE_TIME:
        case zeek::TYPE_INTERVAL: return Layout::Micros;
        case zeek::TYPE_PORT:
        case zeek::TYPE_ADDR:
        case zeek::TYPE_SUBNET:
        case zeek::TYPE_STRING:
        case zeek::TYPE_ENUM:
        case zeek::TYPE_PATTERN: return Layout::Text;
        case zeek::TYPE_TABLE:
        case zeek::TYPE_VECTOR: return Layout::List;
        default: return Layout::None;
    }
}

bool Valid(const SealedColumn& column, int64_t row) {
    const Buffer& validity = column.buffers[0];
    if ( ! validity.present || column.null_count == 0 ) return true;
    return (validity.bytes[row >> 3] >> (row & 7)) & 1;
}

template<typename T>
T At(const Buffer& values, int64_t row) {
    T v;
    std::memcpy(&v, values.bytes.data() + row * sizeof(T), sizeof(T));
    return v;
}

std::string TextAt(const SealedColumn& column, int64_t row) {
    const int32_t begin = At<int32_t>(column.buffers[1], row);
    const int32_t end = At<int32_t>(column.buffers[1], row + 1);
    return std::string(reinterpret_cast<const char*>(column.buffers[2].bytes.data()) + begin, end - begin);
}

// Zeek's text parser turns a bad address into 0.0.0.0 with a warning; a reader should skip the row instead.
bool IsAddress(const std::string& text) {
    unsigned char bytes[16];
    return inet_pton(AF_INET, text.c_str(), bytes) == 1 || inet_pton(AF_INET6, text.c_str(), bytes) == 1;
}

bool IsSubnet(const std::string& text) {
    const size_t slash = text.find('/');
    if ( slash == std::string::npos || slash + 1 == text.size() ) return false;
    for ( size_t i = slash + 1; i < text.size(); i++ )
        if ( text[i] < '0' || text[i] > '9' ) return false;
    return IsAddress(text.substr(0, slash)) && std::stoi(text.substr(slash + 1, 3)) <= (text.find(':') < slash ? 128 : 32);
}

bool Sized(const Buffer& b, size_t bytes) { return b.present && b.bytes.size() >= bytes; }

} // namespace

RowValues::RowValues(zeek::threading::MsgThread* thread, int num_fields, const zeek::threading::Field* const* fields)
    : num_fields_(num_fields), fields_(fields) {
    // No unset marker: an empty or "-" string is a string; NULL is what is unset.
    zeek::threading::formatter::Ascii::SeparatorInfo separators("\t", ",", "", "");
    text_ = std::make_unique<zeek::threading::formatter::Ascii>(thread, separators);
}

bool RowValues::CheckColumn(const SealedColumn& column, zeek::TypeTag type, zeek::TypeTag subtype,
                            std::string* error) const {
    const int64_t n = column.length;
    if ( n < 0 || column.null_count < 0 || column.null_count > n ) {
        *error = "has a negative length or null count (length " + std::to_string(n) + ", null count " +
                 std::to_string(column.null_count) + ")";
        return false;
    }
    const Layout layout = LayoutOf(type);
    const size_t wanted_buffers = layout == Layout::Text ? 3 : 2;
    if ( column.buffers.size() != wanted_buffers ) {
        *error = "has " + std::to_string(column.buffers.size()) + " buffers, not the " + std::to_string(wanted_buffers) +
                 " of its layout";
        return false;
    }
    if ( column.null_count > 0 && ! Sized(column.buffers[0], (n + 7) / 8) ) {
        *error = "has a short validity buffer";
        return false;
    }
    switch ( layout ) {
        case Layout::Bits: return Sized(column.buffers[1], (n + 7) / 8) || (*error = "has a short value buffer", false);
        case Layout::Int64:
        case Layout::UInt64:
        case Layout::Double:
        case Layout::Micros: return Sized(column.buffers[1], n * 8) || (*error = "has a short value buffer", false);
        case Layout::Text:
        case Layout::List: {
            if ( ! Sized(column.buffers[1], (n + 1) * 4) ) return (*error = "has a short offsets buffer", false);
            const int32_t last = At<int32_t>(column.buffers[1], n);
            if ( At<int32_t>(column.buffers[1], 0) < 0 )
                return (*error = "has a negative offset (" + std::to_string(At<int32_t>(column.buffers[1], 0)) + ")", false);
            for ( int64_t i = 0; i < n; i++ )
                if ( At<int32_t>(column.buffers[1], i) > At<int32_t>(column.buffers[1], i + 1) || last < 0 )
                    return (*error = "has offsets out of order", false);
            if ( layout == Layout::Text )
                return (column.buffers[2].bytes.size() >= static_cast<size_t>(last)) || (*error = "has a short text buffer", false);
            if ( column.children.size() != 1 || column.children[0]->length < last )
                return (*error = "has a short list item column", false);
            if ( LayoutOf(subtype) == Layout::List || LayoutOf(subtype) == Layout::None )
                return (*error = "has items of a type readers cannot give", false);
            return CheckColumn(*column.children[0], subtype, zeek::TYPE_VOID, error);
        }
        case Layout::None: *error = "has a type readers cannot give"; return false;
    }
    return true;
}

bool RowValues::Check(const SealedColumn& batch, std::string* error) const {
    if ( batch.length < 0 ) {
        *error = "a batch has a negative length (" + std::to_string(batch.length) + ")";
        return false;
    }
    if ( batch.children.size() != static_cast<size_t>(num_fields_) ) {
        *error = "a batch has " + std::to_string(batch.children.size()) + " columns for " + std::to_string(num_fields_) +
                 " fields";
        return false;
    }
    for ( int i = 0; i < num_fields_; i++ ) {
        const SealedColumn& column = *batch.children[i];
        std::string problem;
        if ( column.length < batch.length ) problem = "is shorter than its batch";
        else if ( ! CheckColumn(column, fields_[i]->type, fields_[i]->subtype, &problem) ) {}
        if ( ! problem.empty() ) {
            *error = std::string("column '") + fields_[i]->name + "' " + problem;
            return false;
        }
    }
    return true;
}

zeek::threading::Value* RowValues::ValueAt(const SealedColumn& column, int64_t row, const zeek::threading::Field& field,
                        zeek::TypeTag type, std::string* error) const {
    if ( ! Valid(column, row) ) return new zeek::threading::Value(type, false);
    const Buffer& values = column.buffers[1];
    switch ( LayoutOf(type) ) {
        case Layout::Bits: {
            auto* v = new zeek::threading::Value(type, true);
            v->val.int_val = (values.bytes[row >> 3] >> (row & 7)) & 1;
            return v;
        }
        case Layout::Int64: {
            auto* v = new zeek::threading::Value(type, true);
            v->val.int_val = At<int64_t>(values, row);
            return v;
        }
        case Layout::UInt64: {
            auto* v = new zeek::threading::Value(type, true);
            v->val.uint_val = At<uint64_t>(values, row);
            return v;
        }
        case Layout::Double: {
            auto* v = new zeek::threading::Value(type, true);
            v->val.double_val = At<double>(values, row);
            return v;
        }
        case Layout::Micros: {
            // The double nearest the µs, as Zeek's ASCII reader gets from 6-decimal text.
            auto* v = new zeek::threading::Value(type, true);
            v->val.double_val = static_cast<double>(At<int64_t>(values, row)) / 1e6;
            return v;
        }
        case Layout::Text: {
            const std::string text = TextAt(column, row);
            const bool malformed = (type == zeek::TYPE_ADDR && ! IsAddress(text)) || (type == zeek::TYPE_SUBNET && ! IsSubnet(text));
            zeek::threading::Value* v = malformed ? nullptr : text_->ParseValue(text, field.name, type, zeek::TYPE_ERROR);
            if ( ! v ) *error = "holds '" + text + "', which is not a valid " + std::string(zeek::type_name(type));
            return v;
        }
        case Layout::List: {
            const SealedColumn& items = *column.children[0];
            const int32_t begin = At<int32_t>(values, row);
            const int32_t end = At<int32_t>(values, row + 1);
            auto* v = new zeek::threading::Value(type, field.subtype, true);
            auto** elements = new zeek::threading::Value*[end - begin];
            int64_t n = 0;
            for ( int32_t i = begin; i < end; i++ ) {
                if ( ! Valid(items, i) ) {
                    *error = "holds a NULL item, which a Zeek set or vector cannot";
                }
                else if ( auto* item = ValueAt(items, i, field, field.subtype, error) ) {
                    elements[n++] = item;
                    continue;
                }
                for ( int64_t k = 0; k < n; k++ ) delete elements[k];
                delete[] elements;
                delete v;
                return nullptr;
            }
            v->val.set_val.size = n; // a vector's val shares the layout (vec_t is set_t)
            v->val.set_val.vals = elements;
            return v;
        }
        case Layout::None: break;
    }
    *error = std::string("has the type ") + zeek::type_name(type) + ", which readers cannot give";
    return nullptr;
}

zeek::threading::Value** RowValues::Row(const SealedColumn& batch, int64_t row, std::string* error) const {
    auto** vals = new zeek::threading::Value*[num_fields_];
    for ( int i = 0; i < num_fields_; i++ ) {
        const zeek::threading::Field& field = *fields_[i];
        std::string problem;
        zeek::threading::Value* v = ValueAt(*batch.children[i], row, field, field.type, &problem);
        if ( v && ! v->present && ! field.optional ) {
            delete v;
            v = nullptr;
            problem = "is NULL, but the field is not &optional";
        }
        if ( ! v ) {
            *error = std::string("column '") + field.name + "' " + problem;
            for ( int k = 0; k < i; k++ ) delete vals[k];
            delete[] vals;
            return nullptr;
        }
        vals[i] = v;
    }
    return vals;
}

} // namespace zeek_arrow
