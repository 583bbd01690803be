##! ``zeek-arrow analyze --follow``: one Zeek reads a pcap stream on ``-r -`` that
##! grows batch by batch. After each batch zeek-arrow sends a marker packet (an
##! Ethernet frame of the local experimental ethertype 0x88b5 with the payload
##! ``zeekarrow!``): here every log is flushed, so each writer's flush at the
##! marker's time says that its rows of the batch are written.
##!
##! In Zeek's cluster (``--workers N``) every worker gets the marker. A worker
##! sends its log writes to the logger on one ZeroMQ socket, in order (events go
##! on another, unordered with them): after flushing them it writes a row of
##! :zeek:see:`ZeekArrowFollow::MARK_LOG` on the same socket. The logger flushes
##! every log in rounds; the first round whose flush of the mark log holds every
##! worker's row of a marker comes after every record those workers sent before it.

module ZeekArrowFollow;

export {
	## The marker's ethertype and first bytes.
	const marker_ethertype = 0x88b5 &redef;
	const marker_bytes = "zeekarrow!" &redef;
	## A line per marker handled, in Zeek's working directory: its network time, then
	## the path of every log written to so far (each of them flushes at the marker).
	## On a cluster's logger: a line per flush round (when its logs changed), its
	## network time then every Arrow log the logger writes.
	const marks_path = "zeek_arrow_marks" &redef;
	## The process of zeek-arrow: a cluster node kills itself when it is gone (kill -9).
	const watch_pid = 0 &redef;

	## The log of the workers' markers (cluster only), through the Arrow writer.
	redef enum Log::ID += { MARK_LOG };
	type Mark: record {
		node: string &log;
		## The marker's network time as "%.6f" (as zeek-arrow writes it: no rounding of a time type between them).
		marker: string &log;
	};
	const mark_path = "zeek_arrow_worker_marks" &redef;

	## Sent by a worker as it handles a marker: the logger flushes its logs often for a while.
	global marked: event(node: string, marker: time);
}

global marks: file;

type Line: record {
	s: string;
};

# What the watch command prints: nothing.
event parent_line(desc: Input::EventDescription, tpe: Input::Event, s: string)
	{
	}

event zeek_init()
	{
	marks = open(marks_path);
	set_buf(marks, F);
	if ( Cluster::is_enabled() )
		{
		Log::create_stream(MARK_LOG, [$columns=Mark, $path=mark_path]);
		if ( watch_pid != 0 )
			# The raw reader runs this command: in a session of its own (Zeek's end does not stop it), it
			# kills this node once zeek-arrow is gone, also when the node hangs at its end (ZeroMQ's linger).
			Input::add_event([$source=fmt("setsid sh -c 'while kill -0 %d && kill -0 %d; do sleep 1; done; kill -0 %d && kill -KILL %d' </dev/null >/dev/null 2>&1 & |",
			                              watch_pid, getpid(), getpid(), getpid()),
			                  $reader=Input::READER_RAW, $mode=Input::STREAM, $name="zeek-arrow-parent",
			                  $fields=Line, $ev=parent_line, $want_record=F]);
		}
	}

# Every marker must reach the script: no sampling of unknown protocols.
redef UnknownProtocol::sampling_threshold = 18446744073709551615;
redef UnknownProtocol::first_bytes_count = 10;

# The logs are taken batch by batch from one file per log: no rotation.
redef Log::default_rotation_interval = 0 secs;
redef Log::default_rotation_postprocessor_cmd = "";

## The paths of the Arrow logs with writes (or, `all`, every Arrow writer there is), by the log manager's counters.
function arrow_logs(all: bool): string
	{
	local line = "";
	for ( _, m in Telemetry::collect_metrics("zeek", "log_writer_writes") )
		{
		if ( m$value == 0 && ! all )
			next;
		local labels: table[string] of string;
		for ( i, name in m$label_names )
			labels[name] = m$label_values[i];
		if ( labels["writer"] == cat(Log::WRITER_ARROW) && labels["path"] != mark_path )
			line += " " + labels["path"];
		}
	return line;
	}

event unknown_protocol(analyzer_name: string, protocol: count, first_bytes: string, analyzer_history: string_vec)
	{
	if ( protocol != marker_ethertype || first_bytes != marker_bytes )
		return;
	for ( id in Log::active_streams )
		Log::flush(id);
	# Writers start in threads of their own, maybe after the marker is handled: the
	# log manager's write counters name, here and now, every Arrow log with rows before it.
	print marks, fmt("%.6f", network_time()) + arrow_logs(F);
	if ( Cluster::is_enabled() )
		{
		# After the flushes above, on the same socket as this worker's log writes.
		Log::write(MARK_LOG, [$node=Cluster::node, $marker=fmt("%.6f", network_time())]);
		Log::flush(MARK_LOG);
		Cluster::publish(Cluster::logger_topic, marked, Cluster::node, network_time());
		}
	}

@if ( Cluster::local_node_type() == Cluster::LOGGER )

## Wall-clock time of the last marker a worker announced.
global last_marked = 0.0;
## The Arrow logs named by the last round's line.
global last_logs = "-";

event marked(node: string, marker: time)
	{
	last_marked = time_to_double(current_time());
	}

global round: event();

# A flush round: the line (only when the logs changed) goes before the flushes, so a
# flush seen at this network time finds it written.
event round()
	{
	local logs = arrow_logs(T);
	if ( logs != last_logs )
		{
		print marks, fmt("%.6f", network_time()) + logs;
		last_logs = logs;
		}
	for ( id in Log::active_streams )
		Log::flush(id);
	# Often while markers come, else once a second.
	local soon = time_to_double(current_time()) - last_marked < 10.0;
	schedule (soon ? 100 msec : 1 sec) { round() };
	}

event zeek_init()
	{
	schedule 1 sec { round() };
	}

@endif
