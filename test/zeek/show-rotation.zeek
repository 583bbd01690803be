# Hourly rotation, and a post-processor that prints what Zeek hands it.
function show_rotation(info: Log::RotationInfo): bool
	{
	print fmt("rotated %s %s %.6f %.6f %s", info$path, info$fname, info$open, info$close, info$terminating);
	return T;
	}

redef Log::default_rotation_interval = 1 hr;
redef Log::default_rotation_postprocessors += {
	[Log::WRITER_ASCII] = show_rotation,
	[Log::WRITER_ARROW] = show_rotation,
};
