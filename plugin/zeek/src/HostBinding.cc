#include "HostBinding.h"

#include <napi.h>

#include "NodeRuntime.h"

namespace zeek_arrow {

namespace {

// Wakes JS for each piece of work; a full queue blocks the posting Zeek thread (backpressure).
constexpr size_t kQueuedWork = 64;

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
        case Work::Kind::ReaderClose: return "reader-close";
        case Work::Kind::Shutdown: return "shutdown";
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

Napi::Object Describe(Napi::Env env, Work& work, std::vector<Napi::Reference<Napi::ArrayBuffer>>& views) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", KindName(work.kind));
    const bool reader = work.kind == Work::Kind::ReaderInit || work.kind == Work::Kind::ReaderUpdate ||
                        work.kind == Work::Kind::ReaderHeartbeat || work.kind == Work::Kind::ReaderClose;
    o.Set(reader ? "reader" : "writer", Napi::Number::New(env, static_cast<double>(work.writer)));
    o.Set("networkTime", work.network_time);
    switch ( work.kind ) {
        case Work::Kind::ReaderInit: {
            Napi::Object info = Napi::Object::New(env);
            info.Set("source", work.source);
            info.Set("name", work.stream_name);
            info.Set("mode", work.mode);
            info.Set("config", ConfigObject(env, work.config));
            o.Set("info", info);
            Napi::Array fields = Napi::Array::New(env, work.reader_fields.size());
            for ( size_t i = 0; i < work.reader_fields.size(); i++ ) {
                const ReaderField& field = work.reader_fields[i];
                Napi::Object f = Napi::Object::New(env);
                f.Set("name", field.name);
                f.Set("type", field.type);
                if ( ! field.proto_column.empty() ) f.Set("protoColumn", field.proto_column);
                f.Set("optional", field.optional);
                fields.Set(i, f);
            }
            o.Set("fields", fields);
            break;
        }
        case Work::Kind::WriterInit: {
            Napi::Object info = Napi::Object::New(env);
            info.Set("path", work.path);
            info.Set("filter", work.filter);
            info.Set("rotationInterval", work.rotation_interval);
            info.Set("rotationBase", work.rotation_base);
            info.Set("networkTime", work.network_time);
            info.Set("config", ConfigObject(env, work.config));
            o.Set("info", info);
            Napi::Array fields = Napi::Array::New(env, work.fields.size());
            for ( size_t i = 0; i < work.fields.size(); i++ ) {
                Napi::Object f = Napi::Object::New(env);
                f.Set("name", work.fields[i].name);
                f.Set("type", work.fields[i].type);
                fields.Set(i, f);
            }
            o.Set("fields", fields);
            break;
        }
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

// A column JS built, copied into memory the reader thread owns (JS's buffers belong to its GC).
std::unique_ptr<SealedColumn> CopyColumn(const Napi::Object& desc) {
    auto column = std::make_unique<SealedColumn>();
    column->length = desc.Get("length").As<Napi::Number>().Int64Value();
    column->null_count = desc.Get("nullCount").As<Napi::Number>().Int64Value();
    if ( desc.Get("offset").As<Napi::Number>().Int64Value() != 0 )
        throw Napi::Error::New(desc.Env(), "reader batches must not have an offset");
    Napi::Array buffers = desc.Get("buffers").As<Napi::Array>();
    for ( uint32_t i = 0; i < buffers.Length(); i++ ) {
        Buffer buffer;
        Napi::Value b = buffers.Get(i);
        if ( b.IsTypedArray() ) {
            Napi::Uint8Array bytes = b.As<Napi::Uint8Array>();
            buffer.present = true;
            buffer.bytes.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
        }
        column->buffers.push_back(std::move(buffer));
    }
    Napi::Array children = desc.Get("children").As<Napi::Array>();
    for ( uint32_t i = 0; i < children.Length(); i++ ) column->children.push_back(CopyColumn(children.Get(i).As<Napi::Object>()));
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
              work.kind == Work::Kind::ReaderHeartbeat ) {
        Napi::Value rows = r.Get("rows");
        if ( rows.IsArray() ) {
            reply.has_rows = true;
            Napi::Array batches = rows.As<Napi::Array>();
            for ( uint32_t i = 0; i < batches.Length(); i++ )
                reply.batches.push_back(CopyColumn(batches.Get(i).As<Napi::Object>()));
        }
    }
    else if ( work.kind == Work::Kind::WriterRotate ) {
        if ( r.Get("newName").IsString() ) reply.new_name = r.Get("newName").As<Napi::String>().Utf8Value();
        if ( r.Get("oldName").IsString() ) reply.old_name = r.Get("oldName").As<Napi::String>().Utf8Value();
    }
    return reply;
}

// Runs on the Node thread for each piece of work posted by a Zeek thread.
void CallJs(napi_env raw_env, napi_value, void*, void* data) {
    std::unique_ptr<Work> work(static_cast<Work*>(data));
    if ( ! raw_env ) return; // the function is being torn down
    Napi::Env env(raw_env);
    Napi::HandleScope scope(env);
    auto views = std::make_shared<std::vector<Napi::Reference<Napi::ArrayBuffer>>>();
    Napi::Object described = Describe(env, *work, *views);

    Work* owned = work.release();
    auto answered = std::make_shared<bool>(false);
    auto finish = [owned, views, answered](Napi::Env env, const Napi::Value& error, const Napi::Value& result) {
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
            reply.error = "TypeScript answered with something unreadable: " + e.Message();
        }
        if ( owned->on_reply ) owned->on_reply(std::move(reply));
        delete owned;
    };
    Napi::Function done = Napi::Function::New(env, [finish](const Napi::CallbackInfo& info) {
        finish(info.Env(), info[0], info[1]);
    });
    try {
        dispatch.Call({described, done});
    } catch ( const Napi::Error& e ) {
        finish(env, Napi::String::New(env, e.Message()), env.Undefined());
    }
}

Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if ( ! info[0].IsFunction() ) throw Napi::TypeError::New(env, "start(dispatch) needs a function");
    dispatch = Napi::Persistent(info[0].As<Napi::Function>());
    Napi::String name = Napi::String::New(env, "zeek-arrow work");
    // NodeRuntime::Shutdown() releases it once no Zeek thread can post any more.
    auto finalize = [](napi_env, void*, void*) {
        tsfn = nullptr;
        dispatch.Reset();
    };
    napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr, name, kQueuedWork, 1, nullptr,
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
