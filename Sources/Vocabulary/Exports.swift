// The vocabulary's times and sizes are read and written the one way (docs/units.md).
@_exported import Units
