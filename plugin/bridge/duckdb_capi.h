// The part of DuckDB's C API (duckdb.h, stable since 1.2) that the bridge
// calls, declared here because the npm bindings ship libduckdb.so without
// its header. Names and signatures follow duckdb.h exactly.
#pragma once
#include <cstdint>
#include "arrow_c_data.h"

extern "C" {
typedef uint64_t idx_t;
typedef enum { DuckDBSuccess = 0, DuckDBError = 1 } duckdb_state;

typedef struct _duckdb_connection { void* internal_ptr; } * duckdb_connection;
typedef struct _duckdb_appender { void* internal_ptr; } * duckdb_appender;
typedef struct _duckdb_data_chunk { void* internal_ptr; } * duckdb_data_chunk;
typedef struct _duckdb_error_data { void* internal_ptr; } * duckdb_error_data;
typedef struct _duckdb_arrow_converted_schema { void* internal_ptr; } * duckdb_arrow_converted_schema;
typedef struct _duckdb_arrow_options { void* internal_ptr; } * duckdb_arrow_options;
typedef struct _duckdb_logical_type { void* internal_ptr; } * duckdb_logical_type;
typedef struct _duckdb_prepared_statement { void* internal_ptr; } * duckdb_prepared_statement;

typedef struct {
  idx_t deprecated_column_count;
  idx_t deprecated_row_count;
  idx_t deprecated_rows_changed;
  void* deprecated_columns;
  char* deprecated_error_message;
  void* internal_data;
} duckdb_result;

const char* duckdb_library_version();

duckdb_state duckdb_appender_create(duckdb_connection connection, const char* schema, const char* table,
                                    duckdb_appender* out_appender);
duckdb_error_data duckdb_appender_error_data(duckdb_appender appender);
duckdb_state duckdb_appender_flush(duckdb_appender appender);
duckdb_state duckdb_appender_close(duckdb_appender appender);
duckdb_state duckdb_appender_destroy(duckdb_appender* appender);
duckdb_state duckdb_append_data_chunk(duckdb_appender appender, duckdb_data_chunk chunk);

idx_t duckdb_data_chunk_get_size(duckdb_data_chunk chunk);
void duckdb_destroy_data_chunk(duckdb_data_chunk* chunk);

bool duckdb_error_data_has_error(duckdb_error_data error_data);
const char* duckdb_error_data_message(duckdb_error_data error_data);
void duckdb_destroy_error_data(duckdb_error_data* error_data);

duckdb_error_data duckdb_schema_from_arrow(duckdb_connection connection, struct ArrowSchema* schema,
                                           duckdb_arrow_converted_schema* out_types);
duckdb_error_data duckdb_data_chunk_from_arrow(duckdb_connection connection, struct ArrowArray* arrow_array,
                                               duckdb_arrow_converted_schema converted_schema,
                                               duckdb_data_chunk* out_chunk);
void duckdb_destroy_arrow_converted_schema(duckdb_arrow_converted_schema* arrow_converted_schema);

duckdb_state duckdb_prepare(duckdb_connection connection, const char* query,
                            duckdb_prepared_statement* out_prepared_statement);
const char* duckdb_prepare_error(duckdb_prepared_statement prepared_statement);
void duckdb_destroy_prepare(duckdb_prepared_statement* prepared_statement);
duckdb_state duckdb_execute_prepared_streaming(duckdb_prepared_statement prepared_statement,
                                               duckdb_result* out_result);
const char* duckdb_result_error(duckdb_result* result);
void duckdb_destroy_result(duckdb_result* result);
duckdb_data_chunk duckdb_fetch_chunk(duckdb_result result);
idx_t duckdb_column_count(duckdb_result* result);
const char* duckdb_column_name(duckdb_result* result, idx_t col);
duckdb_logical_type duckdb_column_logical_type(duckdb_result* result, idx_t col);
void duckdb_destroy_logical_type(duckdb_logical_type* type);
duckdb_arrow_options duckdb_result_get_arrow_options(duckdb_result* result);
void duckdb_destroy_arrow_options(duckdb_arrow_options* arrow_options);
duckdb_error_data duckdb_to_arrow_schema(duckdb_arrow_options arrow_options, duckdb_logical_type* types,
                                         const char** names, idx_t column_count, struct ArrowSchema* out_schema);
duckdb_error_data duckdb_data_chunk_to_arrow(duckdb_arrow_options arrow_options, duckdb_data_chunk chunk,
                                             struct ArrowArray* out_arrow_array);
}
