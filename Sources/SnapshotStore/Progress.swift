/// How far long store work has got (`verify`, `reindex`, prune's removals): `done` of
/// `total` items are finished and `item` (a snapshot id, key or path) is the one being worked on
/// next; a last call has `done == total` and an empty `item`. Called synchronously on the working
/// thread, so it should be cheap; the store never draws anything itself (the CLI turns these
/// calls into a terminal line, the daemon passes none).
public typealias StoreProgress = (_ done: Int, _ total: Int, _ item: String) -> Void
