##! Options of the Arrow log writer (LogArrow) and input reader (InputArrow). Each
##! is also a ``$config`` key (per log filter, or per input stream)
##! of the same name (``$config=table(["sink"] = "parquet")``).

module LogArrow;

export {
	## Where logs go: "duckdb" (one database file, a table per log path),
	## "parquet" or "arrow" (a file per log path in :zeek:see:`LogArrow::output_dir`),
	## or "module" (the TypeScript/JavaScript writer named by
	## :zeek:see:`LogArrow::writer_module`).
	const sink = "duckdb" &redef;

	## The DuckDB database file (sink "duckdb"); relative to Zeek's working directory.
	const db_path = "logs.duckdb" &redef;

	## Where Parquet and Arrow IPC files go (sinks "parquet" and "arrow").
	const output_dir = "." &redef;

	## Rows per Arrow record batch handed to the writer backend.
	const batch_size = 10000 &redef;

	## Batches a log may have in flight before Zeek's writer thread waits for the sink.
	const max_pending_batches = 4 &redef;

	## How long Zeek's writer thread waits for the TypeScript writer to answer
	## before it disables that writer (with a message) and carries on.
	const reply_timeout = 10 min &redef;

	## A JavaScript module (absolute path or resolvable by Node) whose export
	## ``writer`` (or default export) is a WriterBackend subclass; used by sink "module".
	const writer_module = "" &redef;
}

module InputArrow;

export {
	## The DuckDB database file a query reads (``$source`` is then SQL); also
	## ``$config["db"]`` per stream. Without it, ``$source`` is a Parquet
	## (``.parquet``) or Arrow IPC (``.arrow``, ``.arrows``, ``.ipc``, ``.feather``) file.
	const db = "" &redef;

	## A JavaScript module (absolute path or resolvable by Node) whose export
	## ``reader`` (or default export) is a ReaderBackend subclass; also
	## ``$config["reader_module"]`` per stream.
	const reader_module = "" &redef;

	## How often (wall clock) REREAD and STREAM streams look for changes.
	const check_interval = 1 sec &redef;

	## How long Zeek's reader thread waits for the TypeScript reader to answer.
	const reply_timeout = 10 min &redef;
}

module GLOBAL;

## Lets ``zeek Log::default_writer=Arrow`` work: the command line is read as
## ``redef Log::default_writer = Arrow;`` in the global module.
const Arrow = Log::WRITER_ARROW;
