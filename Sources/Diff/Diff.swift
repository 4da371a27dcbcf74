// The unit vocabulary (ByteSizeParser, DurationParser, ValueFormatter, ISO8601Offset) is part of the diff's
// interface: thresholds of `--fail-on` gates are read and values are printed with it.
@_exported import Units
