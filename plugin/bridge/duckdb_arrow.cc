// Arrow record batches into DuckDB tables, and query results out as Arrow,
// on a connection opened by @duckdb/node-api (same libduckdb.so, same process).
#include <napi.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "arrow_js.h"
#include "duckdb_capi.h"

namespace zeek_arrow {

namespace {

// A DataChunk holds at most this many rows (DuckDB's STANDARD_VECTOR_SIZE).
constexpr int64_t kChunkRows = 2048;

// @duckdb/node-bindings 1.5 hands out a connection as an External tagged with
// this type tag, over a holder whose first member is the connection handle.
const napi_type_tag kConnectionTag = {0x922B9BF54AB04DFC, 0x8A258578D371DB71};
struct ConnectionHolder {
  duckdb_connection connection;
};

duckdb_connection ConnectionFrom(const Napi::Value& value) {
  Napi::Env env = value.Env();
  bool tagged = false;
  if (value.IsExternal()) napi_check_object_type_tag(env, value, &kConnectionTag, &tagged);
  if (!tagged) throw Napi::TypeError::New(env, "expected the handle of a DuckDBConnection (connection.connection)");
  auto* holder = value.As<Napi::External<ConnectionHolder>>().Data();
  if (!holder || !holder->connection) throw Napi::Error::New(env, "the DuckDB connection is closed");
  return holder->connection;
}

std::string TakeError(duckdb_error_data error) {
  std::string message = duckdb_error_data_message(error);
  duckdb_destroy_error_data(&error);
  return message;
}

// A window of rows of a column, sharing its buffers. DuckDB ignores the
// offset of a struct, so a struct's window moves its children instead.
struct Window {
  ArrowArray array{};
  std::vector<std::unique_ptr<Window>> children;
  std::vector<ArrowArray*> child_pointers;
};

std::unique_ptr<Window> MakeWindow(const ArrowSchema* schema, const ArrowArray* column, int64_t start, int64_t rows) {
  auto w = std::make_unique<Window>();
  w->array = *column;
  w->array.length = rows;
  w->array.null_count = column->null_count == 0 ? 0 : -1;
  w->array.release = nullptr;
  w->array.private_data = nullptr;
  const bool plain_struct = std::string(schema->format) == "+s" && column->buffers[0] == nullptr;
  if (plain_struct) {
    w->array.offset = 0;
    for (int64_t i = 0; i < column->n_children; i++) {
      w->children.push_back(MakeWindow(schema->children[i], column->children[i], column->offset + start, rows));
      w->child_pointers.push_back(&w->children.back()->array);
    }
    w->array.children = w->child_pointers.data();
  } else {
    w->array.offset = column->offset + start;
  }
  return w;
}

// The top-level window DuckDB takes ownership of; its release frees the window.
struct BatchWindow {
  ArrowArray array{};
  std::vector<std::unique_ptr<Window>> columns;
  std::vector<ArrowArray*> column_pointers;
  const void* no_validity[1] = {nullptr};
};

void ReleaseBatchWindow(ArrowArray* array) {
  delete static_cast<BatchWindow*>(array->private_data);
  array->release = nullptr;
}

}  // namespace

// Appends record batches (described as in arrow_js.h) to one table.
class Appender : public Napi::ObjectWrap<Appender> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Appender", {
      InstanceMethod<&Appender::Append>("append"),
      InstanceMethod<&Appender::AppendAndClose>("appendAndClose"),
      InstanceMethod<&Appender::Flush>("flush"),
      InstanceMethod<&Appender::Close>("close"),
    });
  }

  // new Appender(connectionHandle, schemaName | null, tableName, arrowSchema)
  explicit Appender(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Appender>(info) {
    Napi::Env env = info.Env();
    connection_ = ConnectionFrom(info[0]);
    connection_ref_ = Napi::Persistent(info[0]);
    std::string schema_name = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    std::string table = info[2].As<Napi::String>().Utf8Value();
    SchemaFromJs(info[3].As<Napi::Object>(), &schema_);
    if (duckdb_appender_create(connection_, schema_name.empty() ? nullptr : schema_name.c_str(), table.c_str(),
                               &appender_) == DuckDBError) {
      std::string message = appender_ ? TakeError(duckdb_appender_error_data(appender_)) : "cannot create appender";
      duckdb_appender_destroy(&appender_);
      throw Napi::Error::New(env, "table '" + table + "': " + message);
    }
    if (duckdb_error_data error = duckdb_schema_from_arrow(connection_, &schema_, &converted_)) {
      if (duckdb_error_data_has_error(error)) throw Napi::Error::New(env, TakeError(error));
      duckdb_destroy_error_data(&error);
    }
  }

  ~Appender() override { Destroy(); }

 private:
  // append(arrowArray): the batch as a struct array whose children are the columns.
  Napi::Value Append(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!appender_ || busy_) throw Napi::Error::New(env, busy_ ? "appender is busy" : "appender is closed");
    ArrowArray batch;
    ArrayFromJs(info[0].As<Napi::Object>(), &batch);
    std::unique_ptr<ArrowArray, void (*)(ArrowArray*)> owned(&batch, [](ArrowArray* a) { a->release(a); });
    const std::string error = AppendRows(&batch);
    if (!error.empty()) throw Napi::Error::New(env, error);
    return Napi::Number::New(env, static_cast<double>(batch.length));
  }

  // appendAndClose(arrowArray): a promise; the batch is converted and appended, and the appender closed (its rows
  // flushed into the table), on a thread of libuv's pool: the JS thread goes on meanwhile. The batch's buffers must
  // stay as they are until the promise settles (the description is held until then).
  Napi::Value AppendAndClose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!appender_ || busy_) throw Napi::Error::New(env, busy_ ? "appender is busy" : "appender is closed");
    auto* work = new AppendWork(env, this, info.This().As<Napi::Object>(), info[0].As<Napi::Object>());
    busy_ = true;
    work->Queue();
    return work->Promise();
  }

  // Appends the batch's rows, a DataChunk at a time; the error's message, or empty. Touches no JS value.
  std::string AppendRows(ArrowArray* batch_pointer) {
    const ArrowArray& batch = *batch_pointer;
    if (batch.n_children != schema_.n_children) {
      return "batch has " + std::to_string(batch.n_children) + " columns, table schema " + std::to_string(schema_.n_children);
    }
    for (int64_t start = 0; start < batch.length; start += kChunkRows) {
      const int64_t rows = std::min(kChunkRows, batch.length - start);
      auto* window = new BatchWindow();
      for (int64_t i = 0; i < batch.n_children; i++) {
        window->columns.push_back(MakeWindow(schema_.children[i], batch.children[i], batch.offset + start, rows));
        window->column_pointers.push_back(&window->columns.back()->array);
      }
      window->array.length = rows;
      window->array.n_buffers = 1;
      window->array.buffers = window->no_validity;
      window->array.n_children = batch.n_children;
      window->array.children = window->column_pointers.data();
      window->array.release = ReleaseBatchWindow;
      window->array.private_data = window;
      duckdb_data_chunk chunk = nullptr;
      duckdb_error_data error = duckdb_data_chunk_from_arrow(connection_, &window->array, converted_, &chunk);
      if (window->array.release) window->array.release(&window->array);  // not taken over
      if (error && duckdb_error_data_has_error(error)) return TakeError(error);
      if (error) duckdb_destroy_error_data(&error);
      const duckdb_state state = duckdb_append_data_chunk(appender_, chunk);
      duckdb_destroy_data_chunk(&chunk);
      if (state == DuckDBError) return TakeError(duckdb_appender_error_data(appender_));
    }
    return "";
  }

  // Closes the appender (its rows flushed into the table); the error's message, or empty. Touches no JS value.
  std::string CloseAppender() {
    std::string message;
    if (appender_ && duckdb_appender_close(appender_) == DuckDBError) {
      message = TakeError(duckdb_appender_error_data(appender_));
    }
    Destroy();
    return message;
  }

  // appendAndClose()'s work on the pool's thread; the appender's JS object and the batch's description are held
  // (so neither is collected) until it is done.
  class AppendWork : public Napi::AsyncWorker {
   public:
    AppendWork(Napi::Env env, Appender* appender, Napi::Object self, Napi::Object description)
        : Napi::AsyncWorker(env, "zeek_arrow.appendAndClose"), deferred_(Napi::Promise::Deferred::New(env)),
          appender_(appender), self_(Napi::Persistent(self)), description_(Napi::Persistent(description)) {
      ArrayFromJs(description, &batch_);
    }
    ~AppendWork() override {
      if (batch_.release) batch_.release(&batch_);
    }
    Napi::Promise Promise() const { return deferred_.Promise(); }

   protected:
    void Execute() override {
      std::string error = appender_->AppendRows(&batch_);
      // Closed either way (a failed append's rows are not kept); the append's error first.
      const std::string closing = appender_->CloseAppender();
      if (error.empty()) error = closing;
      if (!error.empty()) SetError(error);
    }
    void OnOK() override {
      appender_->busy_ = false;
      deferred_.Resolve(Napi::Number::New(Env(), static_cast<double>(batch_.length)));
    }
    void OnError(const Napi::Error& e) override {
      appender_->busy_ = false;
      deferred_.Reject(e.Value());
    }

   private:
    Napi::Promise::Deferred deferred_;
    Appender* appender_;
    Napi::ObjectReference self_;
    Napi::ObjectReference description_;
    ArrowArray batch_{};
  };

  Napi::Value Flush(const Napi::CallbackInfo& info) {
    if (busy_) throw Napi::Error::New(info.Env(), "appender is busy");
    if (appender_ && duckdb_appender_flush(appender_) == DuckDBError) {
      throw Napi::Error::New(info.Env(), TakeError(duckdb_appender_error_data(appender_)));
    }
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (busy_) throw Napi::Error::New(info.Env(), "appender is busy");
    const std::string message = CloseAppender();
    if (!message.empty()) throw Napi::Error::New(info.Env(), message);
    return info.Env().Undefined();
  }

  void Destroy() {
    if (appender_) duckdb_appender_destroy(&appender_);
    if (converted_) duckdb_destroy_arrow_converted_schema(&converted_);
    if (schema_.release) schema_.release(&schema_);
    appender_ = nullptr;
  }

  duckdb_connection connection_ = nullptr;
  Napi::Reference<Napi::Value> connection_ref_;  // keeps the connection's JS handle alive
  duckdb_appender appender_ = nullptr;
  // An appendAndClose() under way on the pool's thread: no other call until it is done.
  bool busy_ = false;
  ArrowSchema schema_{};
  duckdb_arrow_converted_schema converted_ = nullptr;
};

// Streams a query's result as Arrow: schema(), then next() until it gives null.
class ArrowQuery : public Napi::ObjectWrap<ArrowQuery> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ArrowQuery", {
      InstanceMethod<&ArrowQuery::Schema>("schema"),
      InstanceMethod<&ArrowQuery::Next>("next"),
      InstanceMethod<&ArrowQuery::Close>("close"),
    });
  }

  // new ArrowQuery(connectionHandle, sql)
  explicit ArrowQuery(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ArrowQuery>(info) {
    Napi::Env env = info.Env();
    duckdb_connection connection = ConnectionFrom(info[0]);
    connection_ref_ = Napi::Persistent(info[0]);
    std::string sql = info[1].As<Napi::String>().Utf8Value();
    if (duckdb_prepare(connection, sql.c_str(), &prepared_) == DuckDBError) {
      std::string message = duckdb_prepare_error(prepared_);
      duckdb_destroy_prepare(&prepared_);
      throw Napi::Error::New(env, message);
    }
    if (duckdb_execute_prepared_streaming(prepared_, &result_) == DuckDBError) {
      std::string message = duckdb_result_error(&result_);
      Destroy();
      throw Napi::Error::New(env, message);
    }
    has_result_ = true;
    options_ = duckdb_result_get_arrow_options(&result_);
    const idx_t columns = duckdb_column_count(&result_);
    std::vector<duckdb_logical_type> types;
    std::vector<const char*> names;
    for (idx_t i = 0; i < columns; i++) {
      types.push_back(duckdb_column_logical_type(&result_, i));
      names.push_back(duckdb_column_name(&result_, i));
    }
    duckdb_error_data error = duckdb_to_arrow_schema(options_, types.data(), names.data(), columns, &schema_);
    for (auto& t : types) duckdb_destroy_logical_type(&t);
    if (error && duckdb_error_data_has_error(error)) {
      std::string message = TakeError(error);
      Destroy();
      throw Napi::Error::New(env, message);
    }
    if (error) duckdb_destroy_error_data(&error);
  }

  ~ArrowQuery() override { Destroy(); }

 private:
  Napi::Value Schema(const Napi::CallbackInfo& info) { return SchemaToJs(info.Env(), &schema_); }

  Napi::Value Next(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!has_result_) return env.Null();
    duckdb_data_chunk chunk = duckdb_fetch_chunk(result_);
    if (!chunk) {
      const char* message = duckdb_result_error(&result_);
      std::string error = message ? message : "";
      Destroy();
      if (!error.empty()) throw Napi::Error::New(env, error);
      return env.Null();
    }
    ArrowArray array{};
    duckdb_error_data error = duckdb_data_chunk_to_arrow(options_, chunk, &array);
    duckdb_destroy_data_chunk(&chunk);
    if (error && duckdb_error_data_has_error(error)) throw Napi::Error::New(env, TakeError(error));
    if (error) duckdb_destroy_error_data(&error);
    Napi::Object described = ArrayToJs(env, &schema_, &array);
    if (array.release) array.release(&array);
    return described;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Destroy();
    return info.Env().Undefined();
  }

  void Destroy() {
    if (schema_.release) schema_.release(&schema_);
    if (options_) duckdb_destroy_arrow_options(&options_);
    if (has_result_) duckdb_destroy_result(&result_);
    if (prepared_) duckdb_destroy_prepare(&prepared_);
    has_result_ = false;
  }

  Napi::Reference<Napi::Value> connection_ref_;
  duckdb_prepared_statement prepared_ = nullptr;
  duckdb_result result_{};
  bool has_result_ = false;
  duckdb_arrow_options options_ = nullptr;
  ArrowSchema schema_{};
};

Napi::Object InitDuckDBArrow(Napi::Env env, Napi::Object exports) {
  exports.Set("Appender", Appender::Define(env));
  exports.Set("ArrowQuery", ArrowQuery::Define(env));
  exports.Set("duckdbVersion", Napi::String::New(env, duckdb_library_version()));
  return exports;
}

}  // namespace zeek_arrow
