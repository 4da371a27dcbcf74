// Every module that speaks GBSnapCore's vocabulary also reads and writes units the one way (docs/units.md).
@_exported import Units
