#include "HostBinding.h"

#include <napi.h>
#include <v8.h>

#include "NodeRuntime.h"
#include "TypeTable.h"

namespace zeek_arrow {

namespace {

Napi::FunctionReference dispatch;
napi_threadsafe_function tsfn = nullptr;

const char* KindName(Work::Kind kind) {
    switch ( kind ) {
        case Work::Kind::WriterInit: return "writer-init";
        case Work::Kind::WriterWrite: return "writer-write";
        case Work::Kind::WriterSetBuf: return "writer-setbuf";
        case Work::Kind::WriterFlush: return "writer-flush";
        case Work::Kind::WriterRotate: return "writer-rotate";
        case Work::Kind::WriterFinish: return "writer-finish";
        case Work::Kind::WriterHeartbeat: return "writer-heartbeat";
        case Work::Kind::ReaderInit: return "reader-init";
        case Work::Kind::ReaderUpdate: return "reader-update";
        case Work::Kind::ReaderHeartbeat: return "reader-heartbeat";
        case Work::Kind::ReaderNext: return "reader-next";
        case Work::Kind::ReaderClose: return "reader-close";
        case Work::Kind::Shutdown: return "shutdown";
        case Work::Kind::WriterAbandon: return "writer-abandon";
        case Work::Kind::ReaderAbandon: return "reader-abandon";
    }
    return "unknown";
}

// The batch's buffers as external ArrayBuffers over the memory the Zeek thread built
// (no copy); `views` keeps them to detach when JS is done.
Napi::Object DescribeColumn(Napi::Env env, SealedColumn& column, std::vector<Napi::Reference<Napi::ArrayBuffer>>& views) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("length", Napi::Number::New(env, static_cast<double>(column.length)));
    o.Set("nullCount", Napi::Number::New(env, static_cast<double>(column.null_count)));
    o.Set("offset", Napi::Number::New(env, 0));
    Napi::Array buffers = Napi::Array::New(env, column.buffers.size());
    for ( size_t i = 0; i < column.buffers.size(); i++ ) {
        Buffer& b = column.buffers[i];
        if ( ! b.present ) {
            buffers.Set(i, env.Null());
            continue;
        }
        Napi::ArrayBuffer ab = b.bytes.empty() ? Napi::ArrayBuffer::New(env, 0)
                                               : Napi::ArrayBuffer::New(env, b.bytes.data(), b.bytes.size());
        views.emplace_back(Napi::Persistent(ab));
        buffers.Set(i, Napi::Uint8Array::New(env, b.bytes.size(), ab, 0));
    }
    o.Set("buffers", buffers);
    Napi::Array children = Napi::Array::New(env, column.children.size());
    for ( size_t i = 0; i < column.children.size(); i++ )
        children.Set(i, DescribeColumn(env, *column.children[i], views));
    o.Set("children", children);
    return o;
}

// The options and $config entries a writer or reader gets, as a JS object.
Napi::Object ConfigObject(Napi::Env env, const std::map<std::string, std::string>& config) {
    Napi::Object o = Napi::Object::New(env);
    for ( const auto& [k, v] : config ) o.Set(k, v);
    return o;
}

// A writer's or reader's init info: its own entries, then the $config both get.
Napi::Object InitInfo(Napi::Env env, const Work& work, std::initializer_list<std::pair<const char*, Napi::Value>> entries) {
    Napi::Object info = Napi::Object::New(env);
    for ( const auto& [k, v] : entries ) info.Set(k, v);
    info.Set("config", ConfigObject(env, work.config));
    return info;
}

// A writer's or reader's fields: name and type of each, and what `more` adds.
template<typename Field, typename More>
Napi::Array FieldArray(Napi::Env env, const std::vector<Field>& fields, More more) {
    Napi::Array array = Napi::Array::New(env, fields.size());
    for ( size_t i = 0; i < fields.size(); i++ ) {
        Napi::Object f = Napi::Object::New(env);
        f.Set("name", fields[i].name);
        f.Set("type", fields[i].type);
        more(f, fields[i]);
        array.Set(i, f);
    }
    return array;
}

Napi::Object Describe(Napi::Env env, Work& work, std::vector<Napi::Reference<Napi::ArrayBuffer>>& views) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", KindName(work.kind));
    if ( work.kind != Work::Kind::Shutdown )
        o.Set(work.ForReader() ? "reader" : "writer", Napi::Number::New(env, static_cast<double>(work.writer)));
    if ( ! work.reason.empty() ) o.Set("reason", work.reason);
    o.Set("networkTime", work.network_time);
    switch ( work.kind ) {
        case Work::Kind::ReaderInit:
            o.Set("info", InitInfo(env, work, {{"source", Napi::String::New(env, work.source)},
                                               {"name", Napi::String::New(env, work.stream_name)},
                                               {"mode", Napi::String::New(env, work.mode)}}));
            o.Set("fields", FieldArray(env, work.reader_fields, [](Napi::Object& f, const ReaderField& field) {
                if ( ! field.proto_column.empty() ) f.Set("protoColumn", field.proto_column);
                f.Set("optional", field.optional);
            }));
            break;
        case Work::Kind::WriterInit:
            o.Set("info", InitInfo(env, work, {{"path", Napi::String::New(env, work.path)},
                                               {"filter", Napi::String::New(env, work.filter)},
                                               {"rotationInterval", Napi::Number::New(env, work.rotation_interval)},
                                               {"rotationBase", Napi::Number::New(env, work.rotation_base)},
                                               {"networkTime", Napi::Number::New(env, work.network_time)}}));
            o.Set("fields", FieldArray(env, work.fields, [](Napi::Object&, const LogField&) {}));
            break;
        case Work::Kind::WriterWrite: o.Set("batch", DescribeColumn(env, *work.batch, views)); break;
        case Work::Kind::WriterSetBuf: o.Set("enabled", work.enabled); break;
        case Work::Kind::WriterRotate:
            o.Set("rotatedPath", work.rotated_path);
            o.Set("open", work.open);
            o.Set("close", work.close);
            o.Set("terminating", work.terminating);
            break;
        case Work::Kind::WriterHeartbeat: o.Set("currentTime", work.current_time); break;
        default: break;
    }
    return o;
}

// A whole number JS gave for a column's `what`, checked before anything is read by it.
int64_t Count(const Napi::Object& desc, const char* what, const std::string& where) {
    Napi::Value v = desc.Get(what);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if ( ! (d >= 0 && d <= 2147483647.0 && d == static_cast<double>(static_cast<int64_t>(d))) )
        throw Napi::Error::New(desc.Env(), where + ": '" + what + "' is " + v.ToString().Utf8Value() +
                                               ", not a whole number from 0 to 2^31-1");
    return static_cast<int64_t>(d);
}

// A column JS built, copied into memory the reader thread owns (JS's buffers belong to its GC).
// Its lengths are checked here and its buffers against them in RowValues::Check, before any row is read.
std::unique_ptr<SealedColumn> CopyColumn(const Napi::Object& desc, const std::string& where) {
    auto column = std::make_unique<SealedColumn>();
    column->length = Count(desc, "length", where);
    column->null_count = Count(desc, "nullCount", where);
    if ( column->null_count > column->length )
        throw Napi::Error::New(desc.Env(), where + ": null count " + std::to_string(column->null_count) +
                                               " is more than its length " + std::to_string(column->length));
    if ( Count(desc, "offset", where) != 0 ) throw Napi::Error::New(desc.Env(), where + ": reader batches must not have an offset");
    if ( ! desc.Get("buffers").IsArray() || ! desc.Get("children").IsArray() )
        throw Napi::Error::New(desc.Env(), where + ": 'buffers' and 'children' must be arrays");
    Napi::Array buffers = desc.Get("buffers").As<Napi::Array>();
    for ( uint32_t i = 0; i < buffers.Length(); i++ ) {
        Buffer buffer;
        Napi::Value b = buffers.Get(i);
        if ( b.IsTypedArray() ) {
            Napi::TypedArray typed = b.As<Napi::TypedArray>();
            const uint8_t* data = static_cast<const uint8_t*>(typed.ArrayBuffer().Data()) + typed.ByteOffset();
            buffer.present = true;
            buffer.bytes.assign(data, data + typed.ByteLength());
        }
        else if ( ! b.IsNull() && ! b.IsUndefined() )
            throw Napi::Error::New(desc.Env(), where + ": buffer " + std::to_string(i) + " is neither a typed array nor null");
        column->buffers.push_back(std::move(buffer));
    }
    Napi::Array children = desc.Get("children").As<Napi::Array>();
    for ( uint32_t i = 0; i < children.Length(); i++ ) {
        if ( ! children.Get(i).IsObject() ) throw Napi::Error::New(desc.Env(), where + ": child " + std::to_string(i) + " is not a column");
        column->children.push_back(CopyColumn(children.Get(i).As<Napi::Object>(), where + ", column " + std::to_string(i)));
    }
    return column;
}

std::unique_ptr<SchemaNode> ReadSchema(const Napi::Object& desc, const std::vector<int>& leaves, size_t& next_leaf) {
    auto node = std::make_unique<SchemaNode>();
    node->format = desc.Get("format").As<Napi::String>().Utf8Value();
    node->name = desc.Get("name").As<Napi::String>().Utf8Value();
    node->flags = desc.Get("flags").As<Napi::Number>().Int64Value();
    Napi::Array children = desc.Get("children").As<Napi::Array>();
    // A record's fields are columns of their own; a list's item is part of its column.
    const bool record = node->format == "+s";
    if ( ! record ) node->field_index = next_leaf < leaves.size() ? leaves[next_leaf++] : -1;
    for ( uint32_t i = 0; i < children.Length(); i++ ) {
        size_t ignored = 0;
        node->children.push_back(record ? ReadSchema(children.Get(i).As<Napi::Object>(), leaves, next_leaf)
                                        : ReadSchema(children.Get(i).As<Napi::Object>(), {}, ignored));
    }
    return node;
}

Reply ReadReply(const Work& work, const Napi::Value& error, const Napi::Value& result) {
    Reply reply;
    if ( ! error.IsNull() && ! error.IsUndefined() ) {
        reply.ok = false;
        reply.error = error.ToString().Utf8Value();
        return reply;
    }
    if ( ! result.IsObject() ) return reply;
    Napi::Object r = result.As<Napi::Object>();
    if ( work.kind == Work::Kind::WriterInit ) {
        std::vector<int> leaves;
        Napi::Array l = r.Get("leaves").As<Napi::Array>();
        for ( uint32_t i = 0; i < l.Length(); i++ ) leaves.push_back(l.Get(i).As<Napi::Number>().Int32Value());
        size_t next = 0;
        reply.schema = ReadSchema(r.Get("schema").As<Napi::Object>(), leaves, next);
        reply.batch_rows = r.Get("batchRows").As<Napi::Number>().Int64Value();
        reply.max_pending = r.Get("maxPending").As<Napi::Number>().Int64Value();
    }
    else if ( work.kind == Work::Kind::ReaderInit || work.kind == Work::Kind::ReaderUpdate ||
              work.kind == Work::Kind::ReaderHeartbeat || work.kind == Work::Kind::ReaderNext ) {
        Napi::Value rows = r.Get("rows");
        if ( rows.IsArray() ) {
            reply.has_rows = true;
            reply.more = r.Get("more").ToBoolean();
            Napi::Array batches = rows.As<Napi::Array>();
            for ( uint32_t i = 0; i < batches.Length(); i++ ) {
                const std::string where = "batch " + std::to_string(i + 1);
                if ( ! batches.Get(i).IsObject() ) throw Napi::Error::New(r.Env(), where + " is not a record batch");
                reply.batches.push_back(CopyColumn(batches.Get(i).As<Napi::Object>(), where));
            }
        }
    }
    else if ( work.kind == Work::Kind::WriterRotate ) {
        if ( r.Get("newName").IsString() ) reply.new_name = r.Get("newName").As<Napi::String>().Utf8Value();
        if ( r.Get("oldName").IsString() ) reply.old_name = r.Get("oldName").As<Napi::String>().Utf8Value();
    }
    return reply;
}

void Dispatch(Napi::Env env, NodeRuntime* runtime, std::unique_ptr<Work> work);

// Runs on the Node thread for each piece of work posted by a Zeek thread.
void CallJs(napi_env raw_env, napi_value, void*, void*) {
    if ( ! raw_env ) return; // the function is being torn down: NodeRuntime answers what is queued
    NodeRuntime* runtime = NodeRuntime::Current();
    std::unique_ptr<Work> work = runtime->Next();
    if ( ! work ) return;
    // Work that cannot reach JS (Node is stopping) is answered when Node has stopped (NodeRuntime::Run).
    try {
        Dispatch(Napi::Env(raw_env), runtime, std::move(work));
    } catch ( const Napi::Error& e ) {
        napi_value ignored;
        napi_get_and_clear_last_exception(raw_env, &ignored);
    }
}

void Dispatch(Napi::Env env, NodeRuntime* runtime, std::unique_ptr<Work> work) {
    Napi::HandleScope scope(env);
    auto views = std::make_shared<std::vector<Napi::Reference<Napi::ArrayBuffer>>>();
    Napi::Object described = Describe(env, *work, *views);

    Work* owned = work.release();
    runtime->Dispatched(owned);
    auto answered = std::make_shared<bool>(false);
    auto finish = [owned, views, answered, runtime](Napi::Env env, const Napi::Value& error, const Napi::Value& result) {
        if ( *answered ) return;
        *answered = true;
        // JS is done with the batch: take its views away, then free the memory.
        for ( auto& view : *views ) {
            if ( ! view.IsEmpty() && view.Value().ByteLength() ) view.Value().Detach();
        }
        views->clear();
        Reply reply;
        try {
            reply = ReadReply(*owned, error, result);
        } catch ( const Napi::Error& e ) {
            reply.ok = false;
            reply.error = "the TypeScript reader or writer answered with something unreadable: " + e.Message();
        }
        runtime->Answered(owned);
        if ( owned->on_reply ) owned->on_reply(std::move(reply));
        delete owned;
    };
    Napi::Function done = Napi::Function::New(env, [finish](const Napi::CallbackInfo& info) {
        finish(info.Env(), info[0], info[1]);
    });

    napi_value argv[2] = {described, done};
    napi_value ignored;
    runtime->Enter(*owned);
    const napi_status status = napi_call_function(env, env.Undefined(), dispatch.Value(), 2, argv, &ignored);
    if ( runtime->Leave() ) {
        // The watchdog stopped JavaScript that ran past the reply_timeout: carry on with the other writers.
        v8::Isolate::GetCurrent()->CancelTerminateExecution();
        napi_value exception;
        napi_get_and_clear_last_exception(env, &exception);
        const bool reader = owned->ForReader();
        const uint64_t id = owned->writer;
        const std::string why = "its JavaScript ran for more than " + Completion::FormatSeconds(owned->timeout) +
                                " without returning (a busy loop?) and was stopped";
        finish(env, Napi::String::New(env, why), env.Undefined());
        // The host forgets the writer or reader: its interrupted call will never answer.
        Work abandon;
        abandon.kind = reader ? Work::Kind::ReaderAbandon : Work::Kind::WriterAbandon;
        abandon.writer = id;
        abandon.reason = why;
        std::vector<Napi::Reference<Napi::ArrayBuffer>> none;
        napi_value args[2] = {Describe(env, abandon, none), Napi::Function::New(env, [](const Napi::CallbackInfo&) {})};
        napi_call_function(env, env.Undefined(), dispatch.Value(), 2, args, &ignored);
        napi_get_and_clear_last_exception(env, &exception);
        return;
    }
    if ( status != napi_ok ) {
        napi_value exception = nullptr;
        napi_get_and_clear_last_exception(env, &exception);
        std::string message = "the host did not take the work (Node.js is stopping)";
        napi_valuetype type;
        if ( exception && napi_typeof(env, exception, &type) == napi_ok && type != napi_undefined && type != napi_null ) {
            napi_value text;
            if ( napi_coerce_to_string(env, exception, &text) == napi_ok ) message = Napi::String(env, text).Utf8Value();
        }
        finish(env, Napi::String::New(env, message), env.Undefined());
    }
}

Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if ( ! info[0].IsFunction() ) throw Napi::TypeError::New(env, "start(dispatch, types) needs a function");
    // A Zeek type the C++ holds differently from ts/schema/zeek-types.ts stops the start, naming it.
    if ( const std::string problem = CheckTypeTable(info[1]); ! problem.empty() ) throw Napi::Error::New(env, problem);
    dispatch = Napi::Persistent(info[0].As<Napi::Function>());
    Napi::String name = Napi::String::New(env, "zeek-arrow work");
    // Freed with the Node environment, once no Zeek thread can post any more (NodeRuntime::Run).
    auto finalize = [](napi_env, void*, void*) {
        tsfn = nullptr;
        dispatch.Reset();
    };
    // No limit on the queue: posting never blocks a Zeek thread (each writer bounds its own batches in flight).
    napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr,
                                                         finalize, nullptr, CallJs, &tsfn);
    if ( status != napi_ok ) throw Napi::Error::New(env, "cannot create the work queue");
    NodeRuntime::Current()->Ready(tsfn);
    return env.Undefined();
}

Napi::Value Failed(const Napi::CallbackInfo& info) {
    NodeRuntime::Current()->Failed(info[0].ToString().Utf8Value());
    return info.Env().Undefined();
}

} // namespace

napi_value RegisterHostBinding(napi_env raw_env, napi_value raw_exports) {
    Napi::Env env(raw_env);
    Napi::Object exports(env, raw_exports);
    exports.Set("start", Napi::Function::New(env, Start));
    exports.Set("failed", Napi::Function::New(env, Failed));
    return exports;
}

} // namespace zeek_arrow
