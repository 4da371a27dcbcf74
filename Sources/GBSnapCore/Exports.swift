// Every module that speaks GBSnapCore's vocabulary also reads and writes units the one way (docs/units.md),
// and the I/O edges get the pure vocabulary (kinds, targets, parameters, timestamps) with their syscalls.
@_exported import Units
@_exported import Vocabulary
