#include "ColumnBuilder.h"

#include <climits>
#include <cmath>
#include <cstring>

#include <zeek/Desc.h>
#include <zeek/threading/Formatter.h>
#include <zeek/util.h>

namespace zeek_arrow {

using zeek::threading::Value;

int64_t ZeekMicros(double seconds) {
    const double value = std::fabs(seconds);
    if ( value >= INT_MAX ) return std::llround(seconds * 1e6);
    // modp_dtoa: truncate, then round the 6-digit fraction (an exact half up when odd or 0).
    int64_t whole = static_cast<int64_t>(value);
    const double tmp = (value - static_cast<double>(whole)) * 1e6;
    int64_t frac = static_cast<int64_t>(tmp);
    const double diff = tmp - static_cast<double>(frac);
    if ( diff > 0.5 ) {
        if ( ++frac >= 1000000 ) {
            frac = 0;
            ++whole;
        }
    }
    else if ( diff == 0.5 && (frac == 0 || (frac & 1)) )
        ++frac;
    const int64_t micros = whole * 1000000 + frac;
    return seconds < 0 ? -micros : micros;
}

namespace {

// The Arrow format the plugin builds for a Zeek type (ts/schema/mapping.ts must agree).
const char* FormatFor(zeek::TypeTag type) {
    switch ( type ) {
        case zeek::TYPE_BOOL: return "b";
        case zeek::TYPE_INT: return "l";
        case zeek::TYPE_COUNT: return "L";
        case zeek::TYPE_PORT: return "S";
        case zeek::TYPE_DOUBLE: return "g";
        case zeek::TYPE_TIME: return "tsu:UTC";
        case zeek::TYPE_INTERVAL: return "tDu";
        case zeek::TYPE_STRING:
        case zeek::TYPE_ENUM:
        case zeek::TYPE_ADDR:
        case zeek::TYPE_SUBNET:
        case zeek::TYPE_FILE:
        case zeek::TYPE_FUNC:
        case zeek::TYPE_PATTERN: return "u";
        case zeek::TYPE_TABLE:
        case zeek::TYPE_VECTOR: return "+l";
        default: return nullptr;
    }
}

template<typename T>
void Push(std::vector<uint8_t>& bytes, T value) {
    const size_t at = bytes.size();
    bytes.resize(at + sizeof(T));
    std::memcpy(bytes.data() + at, &value, sizeof(T));
}

void SetBit(std::vector<uint8_t>& bits, int64_t index, bool on) {
    const size_t byte = static_cast<size_t>(index / 8);
    if ( bits.size() <= byte ) bits.resize(byte + 1, 0);
    if ( on ) bits[byte] |= static_cast<uint8_t>(1u << (index % 8));
}

// Text a string column holds as is: printable ASCII and the controls Zeek's JSON writer keeps.
bool PlainText(const char* data, size_t size) {
    for ( size_t i = 0; i < size; i++ ) {
        const auto c = static_cast<unsigned char>(data[i]);
        if ( (c < 0x20 || c >= 0x7f) && c != '\b' && c != '\f' && c != '\n' && c != '\r' && c != '\t' ) return false;
    }
    return true;
}

} // namespace

std::unique_ptr<ColumnBuilder> ColumnBuilder::ForBatch(const SchemaNode& schema, int num_fields,
                                                       const zeek::threading::Field* const* fields, std::string* error) {
    if ( schema.format != "+s" ) {
        *error = "the batch schema is not a struct";
        return nullptr;
    }
    auto root = Make(schema, zeek::TYPE_RECORD, "", fields, num_fields, error);
    if ( root ) root->ShareRejected(std::make_shared<std::vector<std::string>>());
    return root;
}

void ColumnBuilder::ShareRejected(std::shared_ptr<std::vector<std::string>> rejected) {
    rejected_ = rejected;
    for ( auto& child : children_ ) child->ShareRejected(rejected);
}

std::vector<std::string> ColumnBuilder::TakeRejected() {
    std::vector<std::string> taken;
    taken.swap(*rejected_);
    return taken;
}

std::unique_ptr<ColumnBuilder> ColumnBuilder::Make(const SchemaNode& node, zeek::TypeTag type, const std::string& field,
                                                   const zeek::threading::Field* const* fields, int num_fields,
                                                   std::string* error) {
    auto b = std::unique_ptr<ColumnBuilder>(new ColumnBuilder());
    b->field_index_ = node.field_index;
    b->field_ = field;
    if ( node.format == "+s" ) {
        b->kind_ = Kind::Struct;
        for ( const auto& child : node.children ) {
            zeek::TypeTag child_type = zeek::TYPE_RECORD;
            std::string child_field = child->name;
            if ( child->format != "+s" ) {
                if ( child->field_index < 0 || child->field_index >= num_fields ) {
                    *error = "column '" + child->name + "' names no field of the log";
                    return nullptr;
                }
                child_type = fields[child->field_index]->type;
                child_field = fields[child->field_index]->name;
            }
            auto built = Make(*child, child_type, child_field, fields, num_fields, error);
            if ( ! built ) return nullptr;
            b->children_.push_back(std::move(built));
        }
        return b;
    }
    const char* expected = FormatFor(type);
    if ( ! expected || node.format != expected ) {
        *error = "field '" + field + "' (" + zeek::type_name(type) + ") is mapped to Arrow format '" + node.format +
                 "', but the plugin builds '" + (expected ? expected : "nothing") + "' for it";
        return nullptr;
    }
    b->offsets_.push_back(0);
    switch ( type ) {
        case zeek::TYPE_BOOL: b->kind_ = Kind::Bool; break;
        case zeek::TYPE_INT: b->kind_ = Kind::Int64; break;
        case zeek::TYPE_COUNT: b->kind_ = Kind::UInt64; break;
        case zeek::TYPE_PORT: b->kind_ = Kind::UInt16; break;
        case zeek::TYPE_DOUBLE: b->kind_ = Kind::Double; break;
        case zeek::TYPE_TIME:
        case zeek::TYPE_INTERVAL: b->kind_ = Kind::Micros; break;
        case zeek::TYPE_ENUM: b->kind_ = Kind::Text; break;
        case zeek::TYPE_ADDR: b->kind_ = Kind::Addr; break;
        case zeek::TYPE_SUBNET: b->kind_ = Kind::Subnet; break;
        case zeek::TYPE_TABLE:
        case zeek::TYPE_VECTOR: {
            b->kind_ = Kind::List;
            const zeek::TypeTag element = b->field_index_ >= 0 ? fields[b->field_index_]->subtype : zeek::TYPE_VOID;
            if ( node.children.size() != 1 ) {
                *error = "list column '" + field + "' has no item type";
                return nullptr;
            }
            auto item = Make(*node.children[0], element, field + "[]", fields, num_fields, error);
            if ( ! item ) return nullptr;
            b->children_.push_back(std::move(item));
            break;
        }
        default: b->kind_ = Kind::EscapedText; break; // string, file, func, pattern
    }
    return b;
}

void ColumnBuilder::SetValid(bool valid) {
    SetBit(validity_, length_, valid);
    if ( ! valid ) ++null_count_;
}

void ColumnBuilder::AppendRecord(Value** vals) {
    if ( kind_ == Kind::Struct ) {
        for ( auto& child : children_ ) child->AppendRecord(vals);
        ++length_; // records are never null: an unset record has unset fields
        return;
    }
    AppendValue(vals[field_index_]);
}

void ColumnBuilder::AppendNull() {
    SetValid(false);
    switch ( kind_ ) {
        case Kind::Bool: SetBit(values_, length_, false); break;
        case Kind::Int64:
        case Kind::UInt64:
        case Kind::Double:
        case Kind::Micros: Push<int64_t>(values_, 0); break;
        case Kind::UInt16: Push<uint16_t>(values_, 0); break;
        case Kind::List: offsets_.push_back(offsets_.back()); break;
        case Kind::Struct: break;
        default: offsets_.push_back(static_cast<int32_t>(values_.size())); break;
    }
    ++length_;
}

void ColumnBuilder::AppendText(const char* data, size_t size) {
    values_.insert(values_.end(), data, data + size);
    offsets_.push_back(static_cast<int32_t>(values_.size()));
}

void ColumnBuilder::AppendValue(const Value* v) {
    if ( ! v || ! v->present ) {
        AppendNull();
        return;
    }
    if ( kind_ == Kind::Micros && ! (std::fabs(v->val.double_val) <= kMaxSeconds) ) {
        // Its µs do not fit in 64 bits (llround gave INT64_MIN): unset, and said, as ingest says of such text.
        zeek::ODesc text;
        text.Add(v->val.double_val);
        rejected_->push_back("field '" + field_ + "': " + zeek::type_name(v->type) + " " + text.Description() +
                             " is beyond what its column holds (µs in 64 bits, ±9.2e12 s): logged as unset");
        AppendNull();
        return;
    }
    SetValid(true);
    switch ( kind_ ) {
        case Kind::Bool: SetBit(values_, length_, v->val.int_val != 0); break;
        case Kind::Int64: Push<int64_t>(values_, v->val.int_val); break;
        case Kind::UInt64: Push<uint64_t>(values_, v->val.uint_val); break;
        case Kind::UInt16: Push<uint16_t>(values_, static_cast<uint16_t>(v->val.port_val.port)); break;
        case Kind::Double: Push<double>(values_, v->val.double_val); break;
        case Kind::Micros: Push<int64_t>(values_, ZeekMicros(v->val.double_val)); break;
        case Kind::Text: AppendText(v->val.string_val.data, v->val.string_val.length); break;
        case Kind::EscapedText: {
            // A string column holds what Zeek's JSON writer writes: bad bytes as \xNN.
            const char* data = v->val.string_val.data;
            const size_t size = v->val.string_val.length;
            if ( PlainText(data, size) )
                AppendText(data, size);
            else {
                const std::string escaped = zeek::util::json_escape_utf8(data, size, true);
                AppendText(escaped.data(), escaped.size());
            }
            break;
        }
        case Kind::Addr: {
            const std::string text = zeek::threading::Formatter::Render(v->val.addr_val);
            AppendText(text.data(), text.size());
            break;
        }
        case Kind::Subnet: {
            const std::string text = zeek::threading::Formatter::Render(v->val.subnet_val);
            AppendText(text.data(), text.size());
            break;
        }
        case Kind::List: {
            const auto& items = v->type == zeek::TYPE_TABLE ? v->val.set_val : v->val.vector_val;
            for ( zeek_int_t i = 0; i < items.size; i++ ) children_[0]->AppendValue(items.vals[i]);
            offsets_.push_back(static_cast<int32_t>(children_[0]->length_));
            break;
        }
        case Kind::Struct: break;
    }
    ++length_;
}

int64_t ColumnBuilder::Bytes() const {
    int64_t n = static_cast<int64_t>(values_.size() + offsets_.size() * sizeof(int32_t) + validity_.size());
    for ( const auto& child : children_ ) n += child->Bytes();
    return n;
}

std::unique_ptr<SealedColumn> ColumnBuilder::Seal() {
    auto sealed = std::make_unique<SealedColumn>();
    sealed->length = length_;
    sealed->null_count = null_count_;
    Buffer validity;
    if ( null_count_ > 0 ) {
        validity.present = true;
        validity_.resize(static_cast<size_t>((length_ + 7) / 8), 0);
        validity.bytes = std::move(validity_);
    }
    sealed->buffers.push_back(std::move(validity));
    auto bytes = [](std::vector<uint8_t>&& v) {
        Buffer b;
        b.present = true;
        b.bytes = std::move(v);
        return b;
    };
    auto offsets = [this, &bytes]() {
        std::vector<uint8_t> raw(offsets_.size() * sizeof(int32_t));
        std::memcpy(raw.data(), offsets_.data(), raw.size());
        return bytes(std::move(raw));
    };
    switch ( kind_ ) {
        case Kind::Struct: break;
        case Kind::List: sealed->buffers.push_back(offsets()); break;
        case Kind::Text:
        case Kind::EscapedText:
        case Kind::Addr:
        case Kind::Subnet:
            sealed->buffers.push_back(offsets());
            sealed->buffers.push_back(bytes(std::move(values_)));
            break;
        case Kind::Bool: values_.resize(static_cast<size_t>((length_ + 7) / 8), 0); [[fallthrough]];
        default: sealed->buffers.push_back(bytes(std::move(values_))); break;
    }
    for ( auto& child : children_ ) sealed->children.push_back(child->Seal());
    length_ = 0;
    null_count_ = 0;
    validity_.clear();
    values_.clear();
    if ( ! offsets_.empty() ) offsets_.assign(1, 0);
    return sealed;
}

} // namespace zeek_arrow
