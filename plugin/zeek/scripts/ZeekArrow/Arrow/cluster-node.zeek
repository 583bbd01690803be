##! A node of zeek-arrow's offline cluster (``zeek-arrow analyze --workers N``):
##! Zeek's cluster framework on the ZeroMQ backend, with workers reading their
##! share of the captures from ``-r -`` and a logger running the Arrow writer.
##! Load it on every node, with CLUSTER_NODE set and cluster-layout.zeek in ZEEKPATH.

@load policy/frameworks/cluster/backend/zeromq
@load policy/frameworks/cluster/backend/zeromq/connect

module ZeekArrowCluster;

export {
	## Where a logger writes one JSON line per worker that has sent its last log
	## write (relative to the logger's working directory): the run's end.
	const done_path = "zeek_arrow_workers_done" &redef;

	redef enum Log::ID += { DONE_LOG };

	type Done: record {
		node: string &log;
	};
}

# At its high-water mark Zeek drops log writes (it sends them without waiting):
# no limit, the logger keeps up with what workers log.
redef Cluster::Backend::ZeroMQ::log_sndhwm = 0;
redef Cluster::Backend::ZeroMQ::log_rcvhwm = 0;

event zeek_init() &priority=5
	{
	Log::create_stream(DONE_LOG, [$columns=Done, $path=done_path]);
	Log::remove_default_filter(DONE_LOG);
	# The marker goes to a small file of its own, not into the database.
	Log::add_filter(DONE_LOG, [$name="done", $path=done_path, $writer=Log::WRITER_ASCII,
	                           $config=table(["use_json"] = "T")]);
	}

# The tables are those one Zeek writes: no cluster.log (the nodes' comings and goings).
event zeek_init() &priority=-5
	{
	Log::disable_stream(Cluster::LOG);
	}

@if ( Cluster::local_node_type() == Cluster::WORKER )

# A worker exits only once its last log writes are sent (other nodes may end after the logger).
redef Cluster::Backend::ZeroMQ::linger_ms = -1;

# Nodes a worker waits for before it reads a packet: all but the workers.
global waiting: set[string];

event zeek_init()
	{
	for ( name, node in Cluster::nodes )
		if ( node$node_type != Cluster::WORKER )
			add waiting[name];
	suspend_processing();
	}

event Cluster::node_up(name: string, id: string)
	{
	if ( name !in waiting )
		return;
	delete waiting[name];
	if ( |waiting| == 0 )
		continue_processing();
	}

# A cluster worker keeps running after its trace ends: it ends with it here.
event Pcap::file_done(path: string)
	{
	terminate();
	}

global send_done: event();

# Raised from the last zeek_done handler: after every log write but those of
# later zeek_done events. The marker follows them on the same ZeroMQ socket.
event send_done()
	{
	# Writes wait in a buffer per log: send them all before the marker.
	for ( id in Log::active_streams )
		Log::flush(id);
	Log::write(DONE_LOG, [$node=Cluster::node]);
	Log::flush(DONE_LOG);
	}

event zeek_done() &priority=-1000000
	{
	event send_done();
	}

@else

# Manager, logger and proxy have no packet source: they run until zeek-arrow ends them.
redef exit_only_after_terminate = T;

# zeek-arrow ends them with SIGTERM once the workers are done: that is no news for reporter.log.
hook Reporter::log_policy(rec: Reporter::Info, id: Log::ID, filter: Log::Filter)
	{
	if ( rec$level == Reporter::INFO && rec$message == "received termination signal" )
		break;
	}

@endif

@if ( Cluster::local_node_type() == Cluster::LOGGER )
# One database for the whole run: no rotation, no archiving.
redef Log::default_rotation_interval = 0 secs;
redef Log::default_rotation_postprocessor_cmd = "";
@endif
