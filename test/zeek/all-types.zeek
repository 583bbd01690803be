# A log stream "all_types" carrying every type Zeek can log, and its edges.
module AllTypes;

export {
	redef enum Log::ID += { LOG };

	type Inner: record {
		n: count &log;
		label: string &log &optional;
		deeper: record { flag: bool &log &optional; } &log &optional;
	};

	type Info: record {
		row: count &log;
		b: bool &log &optional;
		i: int &log &optional;
		c: count &log &optional;
		d: double &log &optional;
		t: time &log &optional;
		iv: interval &log &optional;
		s: string &log &optional;
		e: transport_proto &log &optional;
		a: addr &log &optional;
		sn: subnet &log &optional;
		p: port &log &optional;
		ss: set[string] &log &optional;
		sc: set[count] &log &optional;
		se: set[transport_proto] &log &optional;
		vs: vector of string &log &optional;
		vi: vector of interval &log &optional;
		va: vector of addr &log &optional;
		vd: vector of double &log &optional;
		inner: Inner &log &optional;
	};
}

event zeek_init()
	{
	Log::create_stream(LOG, [$columns=Info, $path="all_types"]);
	local holes: vector of string = vector();
	holes[2] = "third";
	Log::write(LOG, Info($row=1, $b=T, $i=-42, $c=18446744073709551615, $d=3.25, $t=double_to_time(1700000000.123456),
		 $iv=-1.5 sec, $s="plain", $e=tcp, $a=1.2.3.4, $sn=10.0.0.0/8, $p=80/tcp,
		 $ss=set("a", "b"), $sc=set(1, 18446744073709551615), $se=set(udp), $vs=vector("x", "y"),
		 $vi=vector(1 sec, -2 usec), $va=vector([::ffff:1.2.3.4], [2001:db8::1]), $vd=vector(0.1, -2.5),
		 $inner=[$n=7, $label="in", $deeper=[$flag=F]]));
	Log::write(LOG, Info($row=2));
	Log::write(LOG, Info($row=3, $s="", $ss=set(), $sc=set(), $vs=vector(), $vi=vector(), $va=vector(), $vd=vector()));
	Log::write(LOG, Info($row=4, $s="-", $vs=vector("-", "(empty)", "")));
	Log::write(LOG, Info($row=5, $s="(empty)", $ss=set("(empty)")));
	Log::write(LOG, Info($row=6, $s="tab\there, comma, pipe|semi;", $ss=set("with,comma", "with\ttab")));
	Log::write(LOG, Info($row=7, $s="nul\x00byte and bell\x07"));
	Log::write(LOG, Info($row=8, $s="bad \xff\xfe utf8 and caf\xc3\xa9"));
	Log::write(LOG, Info($row=9, $s="caf\xc3\xa9 \xe2\x82\xac fine"));
	Log::write(LOG, Info($row=10, $s="C:\\back\\slash \\x41 literal"));
	Log::write(LOG, Info($row=11, $s="#looks like a header"));
	Log::write(LOG, Info($row=12, $s="line\nbreak\r\n", $vs=holes));
	Log::write(LOG, Info($row=13, $i=-9223372036854775807, $c=0, $d=-0.000001, $t=double_to_time(0.0), $iv=0 sec, $e=icmp,
		 $a=[2001:db8::ff00:42:8329], $sn=[2001:db8::]/32, $p=8/icmp));
	Log::write(LOG, Info($row=14, $d=1e-7, $iv=123456.654321 sec, $e=unknown_transport, $a=[::ffff:192.168.1.1],
		 $sn=192.168.0.0/16, $p=53/udp, $t=double_to_time(-1.25)));
	Log::write(LOG, Info($row=15, $d=123456789.123456789, $p=0/unknown, $inner=[$n=0]));
	Log::write(LOG, Info($row=16, $d=to_double("nan"), $vd=vector(to_double("inf"), to_double("-inf"))));
	}
