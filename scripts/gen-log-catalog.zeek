# Prints every active log stream's path and its logged fields, flattened and
# typed as the ASCII writer's #fields/#types headers name them:
#   <path> <field> <type>   (print escapes tabs; names hold no spaces)
# scripts/gen-log-catalog.sh turns this into ts/schema/known-logs.json.

function zeek_log_type(t: string): string
	{
	if ( /^enum / in t )
		return "enum";
	if ( /^vector of / in t )
		return fmt("vector[%s]", zeek_log_type(sub(t, /^vector of /, "")));
	if ( /^set\[/ in t )
		return fmt("set[%s]", zeek_log_type(sub(sub(t, /^set\[/, ""), /\]$/, "")));
	return t;
	}

# The default filter decides what is written: its $include/$exclude and field name map.
function flatten(path: string, prefix: string, fields: record_field_table, filter: Log::Filter)
	{
	for ( name, f in fields )
		{
		if ( ! f$log )
			next;
		local full = prefix + name;
		if ( /^record / in f$type_name )
			{
			flatten(path, full + ".", record_fields(sub(f$type_name, /^record /, "")), filter);
			next;
			}
		if ( filter?$include && full !in filter$include )
			next;
		if ( filter?$exclude && full in filter$exclude )
			next;
		local written = full in filter$field_name_map ? filter$field_name_map[full] : full;
		print fmt("%s %s %s", path, written, zeek_log_type(f$type_name));
		}
	}

event zeek_init() &priority=-100
	{
	for ( id, stream in Log::active_streams )
		{
		local filter = Log::get_filter(id, "default");
		local path = filter?$path ? filter$path : (stream?$path ? stream$path : "");
		if ( path == "" )
			next;
		flatten(path, "", record_fields(stream$columns), filter);
		}
	}
